-- The last sync report of each agent x manifest project (a protobuf SyncReport).
create table gitops_states (
    agent_name  varchar(63)  not null references agents (name) on delete cascade,
    project_id  varchar(255) not null,
    report      bytea        not null,
    updated_at  timestamp with time zone not null,
    primary key (agent_name, project_id)
);
