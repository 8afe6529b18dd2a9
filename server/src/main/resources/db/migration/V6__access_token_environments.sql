-- A CI token may name the environment its jobs deploy to; ci_access entries with environments let
-- in only tokens of those environments, as the GitLab agent does for CI jobs.
alter table access_tokens add column environment varchar(255);
