-- Projects (Git repositories), agents, agent tokens and what the server knows of each agent's
-- configuration. Written for H2 in PostgreSQL mode and for PostgreSQL alike.

create table projects (
    id              varchar(255)  primary key,
    url             varchar(2048) not null,
    -- Sealed with the data dir's secret key (see SecretBox); null when the project needs none.
    credentials     text,
    webhook_secret  text          not null,
    -- Null: follow the remote's HEAD.
    default_branch  varchar(255),
    created_at      timestamp with time zone not null
);

create table project_fetches (
    project_id      varchar(255)  primary key references projects (id) on delete cascade,
    attempted_at    timestamp with time zone not null,
    succeeded_at    timestamp with time zone,
    error           text,
    default_branch  varchar(255),
    head_commit     varchar(64)
);

create table agents (
    name              varchar(63)  primary key,
    config_project_id varchar(255) not null references projects (id),
    created_at        timestamp with time zone not null,
    last_seen_at      timestamp with time zone
);

create table agent_tokens (
    id            varchar(32)  primary key,
    agent_name    varchar(63)  not null references agents (name) on delete cascade,
    digest        varchar(80)  not null unique,
    description   varchar(255) not null,
    created_at    timestamp with time zone not null,
    last_used_at  timestamp with time zone,
    revoked_at    timestamp with time zone
);

create index agent_tokens_agent on agent_tokens (agent_name);

create table agent_config_states (
    agent_name      varchar(63)  primary key references agents (name) on delete cascade,
    observed_commit varchar(64),
    observed_at     timestamp with time zone not null,
    valid           boolean      not null,
    -- JSON list of {file, line, column, path, message}; empty when valid.
    errors          text         not null,
    valid_commit    varchar(64),
    valid_content   bytea,
    valid_at        timestamp with time zone
);
