// Interface text of the widget itself. The assistant's answers come from the bot, in the
// language the widget sends as message metadata.

export const LANGUAGES = ["vi", "en"];

const TEXT = {
  vi: {
    title: "Trợ lý dịch vụ công",
    subtitle: "Hỏi về thủ tục hành chính",
    open: "Mở trợ lý dịch vụ công",
    close: "Thu nhỏ cửa sổ trò chuyện",
    placeholder: "Nhập câu hỏi của bạn…",
    send: "Gửi",
    inputLabel: "Câu hỏi của bạn",
    log: "Cuộc trò chuyện",
    typing: "Trợ lý đang trả lời…",
    newConversation: "Cuộc trò chuyện mới",
    newConversationConfirm: "Bắt đầu cuộc trò chuyện mới? Nội dung hiện tại sẽ bị xoá khỏi cửa sổ này.",
    rateBeforeNew: "Trước khi bắt đầu cuộc trò chuyện mới, bạn đánh giá giúp trợ lý nhé (bấm lại “Cuộc trò chuyện mới” để bỏ qua).",
    rate: "Đánh giá",
    rateLabel: "Đánh giá mức độ hài lòng",
    switchTo: "English",
    switchToLabel: "Switch to English",
    switched: "Đã chuyển sang tiếng Việt.",
    offline: "Mất kết nối. Đang thử kết nối lại… Tin nhắn bạn đang gõ vẫn được giữ.",
    notSent: "Chưa gửi được vì mất kết nối. Tin nhắn vẫn nằm trong ô nhập, hãy gửi lại khi có mạng.",
    tooLong: (max, length) => `Tin nhắn quá dài (${length}/${max} ký tự). Vui lòng rút gọn.`,
    counter: (length, max) => `${length}/${max}`,
    rejected: "Máy chủ không nhận tin nhắn này vì quá dài. Vui lòng rút gọn rồi gửi lại.",
    you: "Bạn",
    bot: "Trợ lý",
    staff: "Cán bộ",
    privacyTitle: "Trước khi bắt đầu",
    privacyBody: [
      "Nội dung trò chuyện được lưu trên máy chủ để trả lời và cải thiện dịch vụ; cán bộ có thể xem lại (số định danh, số điện thoại được che).",
      "Không nhập đầy đủ số căn cước/CMND hoặc thông tin nhạy cảm khác.",
      "Trình duyệt chỉ giữ cuộc trò chuyện trong thẻ này; bấm “Cuộc trò chuyện mới” để xoá.",
    ],
    privacyAccept: "Tôi đã hiểu",
    quickReplies: "Gợi ý trả lời",
    waitingForPerson: "Đang chờ cán bộ hỗ trợ. Trợ lý ảo tạm dừng trong lúc này.",
    backToAssistant: "Quay lại trợ lý ảo",
  },
  en: {
    title: "Public service assistant",
    subtitle: "Ask about administrative procedures",
    open: "Open the public service assistant",
    close: "Minimise the chat window",
    placeholder: "Type your question…",
    send: "Send",
    inputLabel: "Your question",
    log: "Conversation",
    typing: "The assistant is replying…",
    newConversation: "New conversation",
    newConversationConfirm: "Start a new conversation? The current one will be cleared from this window.",
    rateBeforeNew: "Before starting a new conversation, please rate this one (press “New conversation” again to skip).",
    rate: "Rate",
    rateLabel: "Rate your satisfaction",
    switchTo: "Tiếng Việt",
    switchToLabel: "Chuyển sang tiếng Việt",
    switched: "Switched to English.",
    offline: "Connection lost. Reconnecting… The message you are typing is kept.",
    notSent: "Not sent: you are offline. Your message is still in the box; send it again once you are back online.",
    tooLong: (max, length) => `Your message is too long (${length}/${max} characters). Please shorten it.`,
    counter: (length, max) => `${length}/${max}`,
    rejected: "The server did not accept this message because it is too long. Please shorten it and send it again.",
    you: "You",
    bot: "Assistant",
    staff: "Staff member",
    privacyTitle: "Before you start",
    privacyBody: [
      "The conversation is stored on our server to answer you and improve the service; staff may review it (ID and phone numbers are masked).",
      "Do not type full ID card numbers or other sensitive details.",
      "Your browser keeps the conversation only in this tab; press “New conversation” to clear it.",
    ],
    privacyAccept: "I understand",
    quickReplies: "Suggested replies",
    waitingForPerson: "Waiting for a staff member. The assistant is paused meanwhile.",
    backToAssistant: "Back to the assistant",
  },
};

export function normaliseLanguage(language) {
  const code = String(language || "").slice(0, 2).toLowerCase();
  return LANGUAGES.includes(code) ? code : "vi";
}

export function uiText(language) {
  return TEXT[normaliseLanguage(language)];
}
