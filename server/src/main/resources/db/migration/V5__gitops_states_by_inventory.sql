-- One project may be listed twice in an agent's configuration, each entry with its own
-- inventory_id; each entry keeps its own last sync report. Reports stored before this version
-- name no inventory and are not kept: every agent sends its last report again when it reconnects,
-- which it does when the server restarts for this upgrade.
drop table gitops_states;
create table gitops_states (
    agent_name    varchar(63)  not null references agents (name) on delete cascade,
    project_id    varchar(255) not null,
    inventory_id  varchar(63)  not null,
    report        bytea        not null,
    updated_at    timestamp with time zone not null,
    primary key (agent_name, project_id, inventory_id)
);
