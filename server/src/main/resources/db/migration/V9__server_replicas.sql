-- Server replicas on one database, and where each agent is connected. Written for H2 in PostgreSQL
-- mode and for PostgreSQL alike.

-- Every running replica, under a lease it renews every few seconds: a replica whose lease lapsed is
-- dead, and its rows (here and in agent_connections) are no longer used.
create table server_replicas (
    id              varchar(64)   primary key,
    -- host:port where the other replicas reach it for internal traffic (forwarded kubectl requests).
    address         varchar(300)  not null,
    -- Its internal listener's self-signed certificate (PEM): callers pin it.
    certificate     text          not null,
    -- SHA-256 (hex) of the secret it presents when it calls another replica.
    secret_hash     varchar(64)   not null,
    started_at      timestamp with time zone not null,
    lease_until     timestamp with time zone not null
);

-- Live agent connections, each with the replica that holds it (its stream and tunnels).
create table agent_connections (
    id              varchar(64)   primary key,
    agent_name      varchar(200)  not null,
    replica_id      varchar(64)   not null,
    token_id        varchar(64)   not null,
    connected_at    timestamp with time zone not null,
    version         varchar(100)  not null,
    pod_name        varchar(300)  not null,
    pod_namespace   varchar(300)  not null,
    cluster_version varchar(100)  not null,
    remote_address  varchar(300)  not null,
    uses_lease      boolean       not null,
    holds_lease     boolean       not null,
    -- Whether it applies its agent's GitOps (decided by the replica that holds it).
    applies_gitops  boolean       not null
);
create index agent_connections_by_replica on agent_connections (replica_id);
create index agent_connections_by_agent on agent_connections (agent_name);
