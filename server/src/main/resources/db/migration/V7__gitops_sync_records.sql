-- Sync reports are stored in the server's own form (JSON of a sync record), no longer as the wire's
-- protobuf bytes, so the wire can change without migrating what is stored. Rows written before this
-- version keep their bytes in report and are read from them until the agent's next report replaces
-- them; newer rows leave report empty.
alter table gitops_states add column sync_record text;
