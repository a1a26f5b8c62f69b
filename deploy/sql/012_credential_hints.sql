-- The admin API shows a channel credential without its key or secret: a hint (the last four
-- characters) tells which one it is. An API key is kept only as its hash, so desk stores the
-- hint when it generates the key; for secrets kept in clear the hint can be read from them.
ALTER TABLE channel_credentials ADD COLUMN hint text;
