// What moving a whole instance from one stage's database to the next needs (service/move):
// - the instance's own id, which a copy does not carry: a target remembers the source it was copied from,
//   so that a rerun resumes and a copy from another source is refused;
// - moves: on a target, the source it is copied from and how far the move got; on a source, the
//   service the data moved to (once moved, every write is refused with a 503 naming it);
// - change_log: while a live move runs, the key of every row changed since its copy began, for the
//   catch-up. The mover attaches the triggers that fill it when the move starts and removes them when
//   it ends, so that no write pays for them at other times; likewise the trigger that refuses writes
//   on a source that has moved (its argument is the new service's URL).
export default /* sql */ `
CREATE TABLE instance (
  id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  one_row boolean NOT NULL DEFAULT true UNIQUE CHECK (one_row)
);
INSERT INTO instance DEFAULT VALUES;

CREATE TABLE moves (
  id         serial PRIMARY KEY,
  role       text NOT NULL CHECK (role IN ('source', 'target')),
  -- The other side: its instance id, and how it was named (a folder, or a URL without its password).
  peer       uuid NOT NULL,
  peer_name  text NOT NULL,
  -- A source: the service on the target, once moved. A target: the source's service, while it is a replica.
  endpoint   text,
  state      text NOT NULL CHECK (state IN ('copying', 'copied', 'replica', 'primary', 'capturing', 'moved', 'abandoned')),
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE change_log (
  seq        bigserial PRIMARY KEY,
  table_name text NOT NULL,
  row_key    jsonb NOT NULL
);

-- A row trigger: logs the changed row's key (its columns named by the trigger's arguments); an update
-- that changes the key logs the old key too, so that the catch-up deletes the old row.
CREATE FUNCTION flagstack_capture_change() RETURNS trigger LANGUAGE plpgsql AS $function$
DECLARE
  key_column text;
  new_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END;
  old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END;
  new_key jsonb := '{}';
  old_key jsonb := '{}';
BEGIN
  FOREACH key_column IN ARRAY TG_ARGV LOOP
    new_key := new_key || jsonb_build_object(key_column, new_row -> key_column);
    old_key := old_key || jsonb_build_object(key_column, old_row -> key_column);
  END LOOP;
  IF new_row IS NOT NULL THEN
    INSERT INTO change_log (table_name, row_key) VALUES (TG_TABLE_NAME, new_key);
  END IF;
  IF old_row IS NOT NULL AND (new_row IS NULL OR old_key <> new_key) THEN
    INSERT INTO change_log (table_name, row_key) VALUES (TG_TABLE_NAME, old_key);
  END IF;
  RETURN NULL;
END
$function$;

-- A statement trigger on a source that has moved: every write fails with SQLSTATE FS503, the new
-- service's URL as its hint (the service answers 503 naming it).
CREATE FUNCTION flagstack_refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $function$
BEGIN
  RAISE EXCEPTION 'this flagstack instance has moved to %', TG_ARGV[0] USING ERRCODE = 'FS503', HINT = TG_ARGV[0];
END
$function$;
`;
