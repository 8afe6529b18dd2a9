-- Credentials for the Kubernetes API proxy: a CI token stands for one project, a user token for a
-- person (with the projects whose members they are and their groups). Stored as digests only.
create table access_tokens (
    id           varchar(32)  primary key,
    kind         varchar(8)   not null,
    project_id   varchar(255),
    user_name    varchar(255),
    projects     text         not null,
    groups_list  text         not null,
    digest       varchar(80)  not null unique,
    description  varchar(255) not null,
    created_at   timestamp with time zone not null,
    expires_at   timestamp with time zone,
    last_used_at timestamp with time zone,
    revoked_at   timestamp with time zone
);
