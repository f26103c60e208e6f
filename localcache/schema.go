package localcache

// Migrations are append-only: PRAGMA user_version counts how many have run.

var indexMigrations = []string{
	// 1: folders, messages, FTS, counts, sync state, pending operations, POP3 UIDL state.
	`
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE folders(
	id            INTEGER PRIMARY KEY,
	account       TEXT NOT NULL,
	name          TEXT NOT NULL,
	delim         TEXT NOT NULL DEFAULT '/',
	role          TEXT NOT NULL DEFAULT '',
	attrs         TEXT NOT NULL DEFAULT '',
	subscribed    INTEGER NOT NULL DEFAULT 1,
	uidvalidity   INTEGER NOT NULL DEFAULT 0,
	uidnext       INTEGER NOT NULL DEFAULT 0,
	highestmodseq INTEGER NOT NULL DEFAULT 0,
	server_total  INTEGER NOT NULL DEFAULT -1,
	total         INTEGER NOT NULL DEFAULT 0,
	unread        INTEGER NOT NULL DEFAULT 0,
	with_body     INTEGER NOT NULL DEFAULT 0,
	UNIQUE(account, name)
);

CREATE TABLE messages(
	id             INTEGER PRIMARY KEY,
	account        TEXT NOT NULL,
	folder_id      INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
	uid            INTEGER,
	uidvalidity    INTEGER NOT NULL DEFAULT 0,
	uidl           TEXT,
	message_id     TEXT NOT NULL DEFAULT '',
	in_reply_to    TEXT NOT NULL DEFAULT '',
	refs           TEXT NOT NULL DEFAULT '',
	thread_key     TEXT NOT NULL DEFAULT '',
	subject        TEXT NOT NULL DEFAULT '',
	from_name      TEXT NOT NULL DEFAULT '',
	from_addr      TEXT NOT NULL DEFAULT '',
	to_addrs       TEXT NOT NULL DEFAULT '',
	cc_addrs       TEXT NOT NULL DEFAULT '',
	date           INTEGER NOT NULL,
	size           INTEGER NOT NULL DEFAULT 0,
	flags          INTEGER NOT NULL DEFAULT 0,
	keywords       TEXT NOT NULL DEFAULT '',
	has_attachment INTEGER NOT NULL DEFAULT 0,
	snippet        TEXT NOT NULL DEFAULT '',
	body_key       TEXT NOT NULL DEFAULT '',
	modseq         INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX messages_folder_uid ON messages(folder_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX messages_page ON messages(folder_id, date DESC, id DESC);
CREATE INDEX messages_uidl ON messages(account, uidl) WHERE uidl IS NOT NULL;
CREATE INDEX messages_thread ON messages(account, thread_key);
CREATE INDEX messages_msgid ON messages(account, message_id);

-- Counts (total, unread = neither seen nor deleted, with a downloaded body) are kept by triggers so
-- reading one is one row, whatever the folder size.
CREATE TRIGGER messages_count_ai AFTER INSERT ON messages BEGIN
	UPDATE folders SET total = total + 1, unread = unread + ((NEW.flags & 9) = 0),
		with_body = with_body + (NEW.body_key != '') WHERE id = NEW.folder_id;
END;
CREATE TRIGGER messages_count_ad AFTER DELETE ON messages BEGIN
	UPDATE folders SET total = total - 1, unread = unread - ((OLD.flags & 9) = 0),
		with_body = with_body - (OLD.body_key != '') WHERE id = OLD.folder_id;
	DELETE FROM messages_fts WHERE rowid = OLD.id;
END;
CREATE TRIGGER messages_count_au AFTER UPDATE OF flags, folder_id, body_key ON messages
WHEN OLD.flags != NEW.flags OR OLD.folder_id != NEW.folder_id OR OLD.body_key != NEW.body_key BEGIN
	UPDATE folders SET total = total - 1, unread = unread - ((OLD.flags & 9) = 0),
		with_body = with_body - (OLD.body_key != '') WHERE id = OLD.folder_id;
	UPDATE folders SET total = total + 1, unread = unread + ((NEW.flags & 9) = 0),
		with_body = with_body + (NEW.body_key != '') WHERE id = NEW.folder_id;
END;

CREATE VIRTUAL TABLE messages_fts USING fts5(
	subject, addresses, body,
	content='', contentless_delete=1,
	tokenize='unicode61 remove_diacritics 2'
);

CREATE TABLE pending(
	id           INTEGER PRIMARY KEY,
	account      TEXT NOT NULL,
	kind         TEXT NOT NULL,
	payload      BLOB NOT NULL,
	created      INTEGER NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX pending_account ON pending(account, id);

CREATE TABLE pop3_uidls(
	account       TEXT NOT NULL,
	uidl          TEXT NOT NULL,
	downloaded_at INTEGER NOT NULL,
	deleted_at    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY(account, uidl)
) WITHOUT ROWID;
`,
	// 2: searches over all folders walk messages newest first (see Search); messages added with
	// DeferIndex wait for their full-text entry (indexed = 0) until their body is linked.
	`
CREATE INDEX messages_date ON messages(date DESC, id DESC);
ALTER TABLE messages ADD COLUMN indexed INTEGER NOT NULL DEFAULT 1;
CREATE INDEX messages_unindexed ON messages(folder_id) WHERE indexed = 0;
`,
	// 3: message lists sorted by sender, subject, size, unread or flagged page on (key, date, id)
	// as the date order does on (date, id). The keys are virtual generated columns (computed, not
	// stored, except in their index): SQLite seeks an index with a row-value comparison on
	// columns, but not on expressions.
	`
ALTER TABLE messages ADD COLUMN sort_sender TEXT
	GENERATED ALWAYS AS (lower(CASE WHEN from_name = '' THEN from_addr ELSE from_name END)) VIRTUAL;
ALTER TABLE messages ADD COLUMN sort_subject TEXT GENERATED ALWAYS AS (lower(subject)) VIRTUAL;
ALTER TABLE messages ADD COLUMN sort_unread INTEGER GENERATED ALWAYS AS ((flags & 9) = 0) VIRTUAL;
ALTER TABLE messages ADD COLUMN sort_flagged INTEGER GENERATED ALWAYS AS ((flags & 4) != 0) VIRTUAL;
CREATE INDEX messages_by_sender ON messages(folder_id, sort_sender, date, id);
CREATE INDEX messages_by_subject ON messages(folder_id, sort_subject, date, id);
CREATE INDEX messages_by_size ON messages(folder_id, size, date, id);
CREATE INDEX messages_by_unread ON messages(folder_id, sort_unread, date, id);
CREATE INDEX messages_by_flagged ON messages(folder_id, sort_flagged, date, id);
`,
	// 4: conversations. A folder's conversation list finds each thread's first message in the folder
	// on (folder_id, thread_key, date, id); a reply without References or In-Reply-To finds its thread
	// by the subject without reply prefixes (base_subject). Thread keys are now resolved against the
	// cached messages when stored (see threader): Open recomputes them all once (rethread).
	`
ALTER TABLE messages ADD COLUMN base_subject TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_base_subject ON messages(account, base_subject, date);
CREATE INDEX messages_folder_thread ON messages(folder_id, thread_key, date, id);
INSERT OR REPLACE INTO meta(key, value) VALUES ('rethread', '1');
`,
	// 5: messages waiting for the filter rules, with how far the rules got (see FilterQueue). Keyed
	// by the local id, which a message keeps when it moves; a message deleted for good leaves.
	`
CREATE TABLE filter_queue(
	message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
	step       INTEGER NOT NULL DEFAULT 0,
	started    INTEGER NOT NULL DEFAULT 0
);
`,
}

var storeMigrations = []string{
	// 1: message bodies (content-addressed) and the outbox.
	`
CREATE TABLE bodies(
	id        INTEGER PRIMARY KEY,
	key       TEXT NOT NULL UNIQUE,
	account   TEXT NOT NULL,
	origin    TEXT NOT NULL DEFAULT '',
	folder    TEXT NOT NULL DEFAULT '',
	size      INTEGER NOT NULL,
	stored_at INTEGER NOT NULL,
	data      BLOB NOT NULL
);
CREATE INDEX bodies_account ON bodies(account, id);

CREATE TABLE outbox(
	id           INTEGER PRIMARY KEY,
	account      TEXT NOT NULL,
	message_id   TEXT NOT NULL,
	sender       TEXT NOT NULL,
	recipients   TEXT NOT NULL,
	raw          BLOB NOT NULL,
	state        TEXT NOT NULL DEFAULT 'queued',
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	created      INTEGER NOT NULL,
	sent_at      INTEGER NOT NULL DEFAULT 0,
	UNIQUE(account, message_id)
);
`,
	// 2: what open composers hold, saved every little while, to reopen after a crash.
	`
CREATE TABLE autosave(
	id      INTEGER PRIMARY KEY,
	data    BLOB NOT NULL,
	updated INTEGER NOT NULL
);
`,
	// 3: the junk filter's training, per account: the class each trained message (by body key)
	// was given, and per token in how many junk and good messages it was.
	`
CREATE TABLE junk_trained(
	account TEXT NOT NULL,
	key     TEXT NOT NULL,
	junk    INTEGER NOT NULL,
	PRIMARY KEY(account, key)
) WITHOUT ROWID;
CREATE TABLE junk_tokens(
	account TEXT NOT NULL,
	token   TEXT NOT NULL,
	junk    INTEGER NOT NULL DEFAULT 0,
	good    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY(account, token)
) WITHOUT ROWID;
`,
}
