"""Vietnamese NLU: the tokenizer component and the generator of NLU data from the knowledge content."""
