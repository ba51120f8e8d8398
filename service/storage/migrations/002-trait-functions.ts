// The two statements of every SDK identity request, as PL/pgSQL functions. A function's statements
// are planned once per connection and the plan reused, which takes about a third off each batch
// (measured: 1.2 against 1.6–2.0 ms for 25 writes). Prepared statements would do the same, but named
// ones pin a client to its connection behind RDS Proxy, and a call to a function does not.
//
// Both look identities and traits up by index, one identity at a time, whatever the planner's
// statistics say: a plain join lets it pick a hash join over a full scan of traits when statistics
// are missing or stale (a new database, a burst of new identities before autovacuum analyses).
// `OFFSET 0` keeps each LATERAL subquery from being flattened back into such a join.
export default /* sql */ `
-- The stored traits of many identities: one row per trait.
CREATE FUNCTION flagstack_read_traits(wanted_environment_ids integer[], wanted_identifiers text[])
  RETURNS TABLE (environment_id integer, identifier text, key text, value jsonb)
  LANGUAGE plpgsql STABLE AS $function$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT w.environment_id, w.identifier, t.key, t.value
    FROM unnest(wanted_environment_ids, wanted_identifiers) AS w(environment_id, identifier)
   CROSS JOIN LATERAL (SELECT id FROM identities i
                        WHERE i.environment_id = w.environment_id AND i.identifier = w.identifier OFFSET 0) i
   CROSS JOIN LATERAL (SELECT t.key, t.value FROM traits t WHERE t.identity_id = i.id OFFSET 0) t;
END
$function$;

-- A batch of trait changes in one statement: upsert the identities, upsert and delete the traits
-- (a null value deletes), and return every trait those identities had. All parts of a statement see
-- the same snapshot, so what it returns is the traits before the batch; the caller lays the batch's
-- own changes over them. Callers pass changes in one global order (environment, identifier, key), so
-- that concurrent batches lock rows in the same order and cannot deadlock. change_contended marks
-- the changes to an identity that an earlier batch of the caller's may still be writing.
CREATE FUNCTION flagstack_write_traits(
    change_environment_ids integer[], change_identifiers text[], change_keys text[], change_values text[],
    change_contended boolean[], wanted_environment_ids integer[], wanted_identifiers text[])
  RETURNS TABLE (environment_id integer, identifier text, key text, value jsonb)
  LANGUAGE plpgsql AS $function$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(change_environment_ids, change_identifiers, change_keys, change_values, change_contended)
      AS x(environment_id, identifier, key, value, contended)
  ), wanted AS (
    SELECT * FROM unnest(wanted_environment_ids, wanted_identifiers) AS x(environment_id, identifier)
  ), existing AS (
    SELECT i.id, wanted.environment_id, wanted.identifier FROM wanted
     CROSS JOIN LATERAL (SELECT id FROM identities i
                          WHERE i.environment_id = wanted.environment_id AND i.identifier = wanted.identifier OFFSET 0) i
  ), created AS (
    -- Only identities not seen yet are inserted; DO UPDATE (not DO NOTHING) returns the row even
    -- when another transaction inserted it a moment ago, so no trait is ever dropped.
    INSERT INTO identities AS i (environment_id, identifier)
    SELECT * FROM wanted WHERE NOT EXISTS (
      SELECT 1 FROM existing e WHERE e.environment_id = wanted.environment_id AND e.identifier = wanted.identifier)
    ON CONFLICT (environment_id, identifier) DO UPDATE SET identifier = EXCLUDED.identifier
    RETURNING i.id, i.environment_id, i.identifier
  ), ids AS (
    SELECT * FROM existing UNION ALL SELECT * FROM created
  ), upserted AS (
    -- SDKs resend unchanged traits on every call. Those are left out before the upsert, which would
    -- lock (and log) each conflicting row even when its WHERE leaves the row as it is. That check
    -- reads this statement's snapshot, so a change the caller's earlier batch has not committed yet is
    -- not in it: contended changes skip the check and go through the upsert, which waits for that
    -- batch's row lock and compares with what it committed, so the later request's value wins.
    INSERT INTO traits AS t (identity_id, key, value)
    SELECT ids.id, input.key, input.value::jsonb FROM input JOIN ids USING (environment_id, identifier)
     WHERE input.value IS NOT NULL
       AND (input.contended OR NOT EXISTS (SELECT 1 FROM traits same
                        WHERE same.identity_id = ids.id AND same.key = input.key AND same.value = input.value::jsonb))
     ORDER BY ids.id, input.key
    ON CONFLICT (identity_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
      WHERE t.value IS DISTINCT FROM EXCLUDED.value
    RETURNING 1
  ), deleted AS (
    DELETE FROM traits t USING input JOIN ids USING (environment_id, identifier)
     WHERE t.identity_id = ids.id AND t.key = input.key AND input.value IS NULL
    RETURNING 1
  )
  SELECT ids.environment_id, ids.identifier, t.key, t.value FROM ids
   CROSS JOIN LATERAL (SELECT t.key, t.value FROM traits t WHERE t.identity_id = ids.id OFFSET 0) t;
END
$function$;
`;
