-- Which manifest project entries an administrator paused drift correction for (Pause in the web UI
-- or POST .../pause). A row means paused; Resume deletes it. Kept apart from gitops_states, whose
-- row an agent's report replaces and which does not exist before the first report. The pause is
-- sent down every new gitops stream of the entry, so it outlives server restarts and reaches the
-- replica an agent reconnects to.
create table drift_pauses (
    agent_name    varchar(63)  not null references agents (name) on delete cascade,
    inventory_id  varchar(63)  not null,
    paused_at     timestamp with time zone not null,
    primary key (agent_name, inventory_id)
);
