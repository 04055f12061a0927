"""The public web server: the citizen widget bundle, the demo portal pages and the socket.io
proxy to Rasa (later also the staff review app). Build the app with `web.server.create_app`."""
