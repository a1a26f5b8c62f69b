-- The knowledge base: articles archived from resolved tickets, searched in Chinese and English,
-- suggested for new tickets, counted when used, and flagged for review when stale.
--
-- Search does not use PostgreSQL's text parser (it cannot split Chinese). common/kb.c turns
-- text into terms with common/textfeat (latin words, CJK character bigrams) and hands them over
-- space-separated; the functions below make a tsvector with positions and one weight per field
-- (title A, tags B, solution C) and an OR tsquery of quoted lexemes, in the 'simple' spirit: a
-- lexeme is the term itself. array_to_tsvector() is not used: its lexemes have no positions, so
-- weights cannot be set on them and ts_rank_cd() ranks them all 0.

-- Trigram similarity corrects latin typos in queries. pg_trgm is a trusted extension since
-- PostgreSQL 13: the database owner (the services' role) may create it, no superuser needed.
-- Debian's postgresql-15 and the postgres:15 image both ship it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE kb_articles (
    id             bigserial PRIMARY KEY,
    title          text NOT NULL CHECK (title <> ''),
    category       text NOT NULL REFERENCES categories(id),
    subtopic       text,
    tags           text[] NOT NULL DEFAULT '{}',
    solution       text NOT NULL CHECK (solution <> ''),
    source_tickets uuid[] NOT NULL DEFAULT '{}',   -- the resolved tickets it was archived from
    status         text NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'published', 'retired')),
    times_used     bigint NOT NULL DEFAULT 0,      -- distinct tickets an agent used it on
    last_used      timestamptz,
    review_reasons text[] NOT NULL DEFAULT '{}',   -- why: 'unused', 'category_changed'
    needs_review   boolean GENERATED ALWAYS AS (cardinality(review_reasons) > 0) STORED,
    flagged_at     timestamptz,
    reviewed_at    timestamptz,                    -- last publish or re-publish (a review)
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    published_by   text,
    search         tsvector NOT NULL,              -- made by kb_vector() from common/kb.c's terms
    FOREIGN KEY (category, subtopic) REFERENCES subtopics(category, id)
);
CREATE INDEX kb_articles_search_idx ON kb_articles USING gin (search);
-- Which articles a ticket went into: archive's idempotency and the category-change flag.
CREATE INDEX kb_articles_sources_idx ON kb_articles USING gin (source_tickets);
CREATE INDEX kb_articles_status_idx ON kb_articles (status, category);
CREATE INDEX kb_articles_review_idx ON kb_articles (flagged_at) WHERE needs_review;

-- The latin words the articles use: query words not among them are corrected to the nearest
-- ones by trigram similarity (typos), through this small table's trigram index. Deliberately
-- not unique: writers add only the words they do not see, and never wait on each other (a
-- unique key would make two archives adding the same new word wait, and deadlock when two
-- transactions add two words in turn). A rare duplicate from a race changes no lookup.
CREATE TABLE kb_vocab (
    term text NOT NULL
);
CREATE INDEX kb_vocab_term_idx ON kb_vocab (term);
CREATE INDEX kb_vocab_trgm_idx ON kb_vocab USING gin (term gin_trgm_ops);

-- The revision of what suggestions rank: bumped (by the triggers below) whenever an article
-- becomes, stops being, or is changed while published. classify keeps the published articles'
-- terms in memory (common/kb_suggest.c) and reloads them when this moves: ranking a batch of
-- tickets in PostgreSQL costs milliseconds per ticket, in memory microseconds.
CREATE TABLE kb_meta (
    id       int PRIMARY KEY CHECK (id = 1),
    revision bigint NOT NULL
);
INSERT INTO kb_meta (id, revision) VALUES (1, 0);

CREATE FUNCTION kb_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE kb_meta SET revision = revision + 1 WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER kb_articles_published_insert AFTER INSERT ON kb_articles
    FOR EACH ROW WHEN (NEW.status = 'published') EXECUTE FUNCTION kb_bump_revision();
-- Usage counters and review flags change often and rank nothing: they do not bump.
CREATE TRIGGER kb_articles_published_update
    AFTER UPDATE OF status, title, category, subtopic, tags, solution, search ON kb_articles
    FOR EACH ROW WHEN (OLD.status = 'published' OR NEW.status = 'published')
    EXECUTE FUNCTION kb_bump_revision();

-- The top 3 published articles for each new ticket, stored by classify when it opens the ticket.
-- On classify's hot path (three rows per new ticket), so without foreign keys: the one writer,
-- sb_kb_suggest_batch, inserts only rows whose ticket and published article exist in the same
-- statement, and neither tickets nor articles are ever deleted. Measured on 500 tickets, the two
-- FK triggers were 23 of the statement's 50 ms.
CREATE TABLE ticket_suggestions (
    ticket_id  uuid NOT NULL,
    rank       smallint NOT NULL CHECK (rank BETWEEN 1 AND 3),
    article_id bigint NOT NULL,
    score      real NOT NULL,
    PRIMARY KEY (ticket_id, rank)
);

-- An agent used an article on a ticket: counted once per (article, ticket).
CREATE TABLE kb_usage (
    article_id bigint NOT NULL REFERENCES kb_articles(id),
    ticket_id  uuid NOT NULL REFERENCES tickets(id),
    agent      text NOT NULL,
    used_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, ticket_id)
);

-- A term as a quoted tsvector/tsquery lexeme (quotes and backslashes doubled).
CREATE FUNCTION kb_lexeme(term text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT '''' || replace(replace(term, '\', '\\'), '''', '''''') || ''''
$$;

-- One field's space-separated terms as a tsvector: positions in text order, all of weight w.
-- Positions beyond 16383 are clamped by PostgreSQL, as for any tsvector.
CREATE FUNCTION kb_field_vector(terms text, w "char") RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(kb_lexeme(t) || ':' || least(n, 16383) || w::text, ' ')::tsvector,
                    ''::tsvector)
    FROM unnest(string_to_array(terms, ' ')) WITH ORDINALITY AS u(t, n)
    WHERE t <> ''
$$;

-- An article's search vector: title terms weight A, tags B, solution C (|| shifts positions).
CREATE FUNCTION kb_vector(title_terms text, tag_terms text, solution_terms text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT kb_field_vector(title_terms, 'A') || kb_field_vector(tag_terms, 'B') ||
           kb_field_vector(solution_terms, 'C')
$$;

-- Space-separated query terms as one OR of quoted lexemes: any shared term makes a candidate,
-- ranking decides. NULL when there is no term (matches nothing).
CREATE FUNCTION kb_query(terms text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(DISTINCT kb_lexeme(t), ' | ')::tsquery
    FROM unnest(string_to_array(terms, ' ')) AS u(t)
    WHERE t <> ''
$$;

-- Query terms plus, for each latin word of 4+ letters the articles never use, the two
-- article words nearest to it by trigram similarity (>= 0.25: 'refnud' finds 'refund' at
-- 0.27, while 'reset' and 'refund' stay apart at 0.18). Space-separated, like its input.
CREATE FUNCTION kb_query_terms_fixed(terms text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET pg_trgm.similarity_threshold = 0.25 AS $$
    SELECT concat_ws(' ', terms, string_agg(f.term, ' '))
    FROM unnest(string_to_array(terms, ' ')) AS q(t)
    CROSS JOIN LATERAL (SELECT DISTINCT v.term, similarity(v.term, q.t) AS s FROM kb_vocab v
                        WHERE v.term % q.t
                        ORDER BY s DESC, v.term LIMIT 2) f
    WHERE q.t ~ '^[a-z]{4,}$' AND NOT EXISTS (SELECT 1 FROM kb_vocab k WHERE k.term = q.t)
$$;

-- How well an article matches a query, for ordering: ts_rank with the field weights title (A)
-- 1.0, tags (B) 0.4, solution (C) 0.2, over the document length's logarithm (normalisation 1)
-- so a long solution does not win by size alone. ts_rank rather than ts_rank_cd: with an OR
-- query the cover density sums every occurrence, while ts_rank lets repeats count less.
CREATE FUNCTION kb_rank(search tsvector, q tsquery) RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ts_rank('{0.1, 0.2, 0.4, 1.0}', search, q, 1)
$$;
