-- Which server replica polls a Git project in the current poll interval, so that replicas sharing
-- one database fetch each project once per interval; a claim lapses at expires_at (its replica may
-- have died). Ids only, no foreign key: a claim may name a project that was just deleted. Written
-- for H2 in PostgreSQL mode and for PostgreSQL alike (only replicas on PostgreSQL use it).
create table fetch_claims (
    project_id      varchar(255) primary key,
    replica_id      varchar(63)  not null,
    expires_at      timestamp with time zone not null
);
