-- Credentials for chart repositories and OCI registries that Helm sources name, by URL (the
-- longest stored URL that prefixes a source's repository applies). Written for H2 in PostgreSQL
-- mode and for PostgreSQL alike.
create table chart_repositories (
    url             varchar(2048) primary key,
    -- Sealed with the data dir's secret key (see SecretBox).
    credentials     text          not null,
    created_at      timestamp with time zone not null
);
