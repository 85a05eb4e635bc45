-- The model name the client asked for when the gateway served another one: a Claude client's
-- `claude-…` name on the Anthropic surface (`model` keeps the Gemini model that served it).
ALTER TABLE request_logs ADD COLUMN client_model TEXT;
