// Bounds on what one identity holds, checked where it is written. The SDK endpoints take traits from
// anyone who holds a public client key; without a bound one identity can grow to megabytes that every
// later read carries. A batch's write checks each identity's traits after its patch against the bounds
// the caller passes (most traits, most bytes of their JSON text) and leaves an identity that would break
// one as it was, saying so in `refused`; the rest of the batch is written.
//
// The caller writes one identity in one batch at a time (service/storage/traits.ts), so a statement's
// snapshot holds every earlier change to the identities it writes: migration 3's `contended` is gone.
// Migration 3's function stays for instances of the previous release during a deploy.
export default /* sql */ `
-- Whether traits are within the bounds: how many there are, and the size of their JSON text.
CREATE FUNCTION flagstack_traits_within(traits jsonb, max_traits integer, max_bytes integer)
  RETURNS boolean LANGUAGE sql IMMUTABLE AS $function$
  SELECT (SELECT count(*) FROM jsonb_object_keys(traits)) <= max_traits AND octet_length(traits::text) <= max_bytes
$function$;

-- Whether traits may be stored: within the bounds, or, for an identity already past them (the bounds
-- were lowered), no more traits and no more bytes than it had, so that it can still shrink. PL/pgSQL:
-- as a SQL function calling flagstack_traits_within it cost four times as much CPU per row (16 µs
-- against 4 in a loop of 20,000), since the planner does not inline the nested call.
CREATE FUNCTION flagstack_traits_acceptable(traits jsonb, before jsonb, max_traits integer, max_bytes integer)
  RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $function$
DECLARE
  trait_count integer;
  trait_bytes integer;
BEGIN
  SELECT count(*) INTO trait_count FROM jsonb_object_keys(traits);
  trait_bytes := octet_length(traits::text);
  IF trait_count <= max_traits AND trait_bytes <= max_bytes THEN
    RETURN true;
  END IF;
  RETURN before IS NOT NULL
     AND trait_count <= (SELECT count(*) FROM jsonb_object_keys(before))
     AND trait_bytes <= octet_length(before::text);
END
$function$;

-- As flagstack_write_identity_traits (migration 3), with bounds: a patch that changes nothing is not
-- written; a new identity is inserted if its traits are acceptable; an existing one is updated under its
-- row lock if its traits after the patch are. A refused identity comes back with its traits as they were
-- (as this statement's snapshot saw them), and the count and size its traits would have had.
CREATE FUNCTION flagstack_write_bounded_identity_traits(
    environment_ids integer[], identifiers text[], patches jsonb[], max_traits integer, max_bytes integer)
  RETURNS TABLE (environment_id integer, identifier text, traits jsonb, refused boolean, trait_count integer, trait_bytes integer)
  LANGUAGE plpgsql AS $function$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH input AS (
    SELECT x.environment_id, x.identifier, x.patch, i.traits AS before,
           jsonb_strip_nulls(coalesce(i.traits, '{}') || x.patch) AS after
      FROM unnest(environment_ids, identifiers, patches) AS x(environment_id, identifier, patch)
      LEFT JOIN LATERAL (SELECT traits FROM identities i
                          WHERE i.environment_id = x.environment_id AND i.identifier = x.identifier OFFSET 0) i ON true
  ), written AS (
    -- A new identity is decided here; an existing one (or one another instance inserted a moment ago)
    -- by the WHERE, on the row as its lock finds it, onto which the patch is merged (its nulls delete).
    INSERT INTO identities AS i (environment_id, identifier, traits)
    SELECT environment_id, identifier, CASE WHEN before IS NULL THEN after ELSE patch END
      FROM input
     WHERE after IS DISTINCT FROM before AND (before IS NOT NULL OR flagstack_traits_acceptable(after, NULL, max_traits, max_bytes))
     ORDER BY environment_id, identifier
    ON CONFLICT (environment_id, identifier) DO UPDATE
      SET traits = jsonb_strip_nulls(i.traits || EXCLUDED.traits), updated_at = now()
      WHERE flagstack_traits_acceptable(jsonb_strip_nulls(i.traits || EXCLUDED.traits), i.traits, max_traits, max_bytes)
    RETURNING i.environment_id, i.identifier, i.traits
  )
  SELECT w.environment_id, w.identifier, jsonb_strip_nulls(w.traits), false, NULL::integer, NULL::integer FROM written w
  UNION ALL
  SELECT environment_id, identifier, jsonb_strip_nulls(before), false, NULL::integer, NULL::integer FROM input WHERE after IS NOT DISTINCT FROM before
  UNION ALL
  SELECT n.environment_id, n.identifier, coalesce(jsonb_strip_nulls(n.before), '{}'), true,
         (SELECT count(*) FROM jsonb_object_keys(n.after))::integer, octet_length(n.after::text)
    FROM input n
   WHERE n.after IS DISTINCT FROM n.before
     AND NOT EXISTS (SELECT 1 FROM written w WHERE w.environment_id = n.environment_id AND w.identifier = n.identifier);
END
$function$;
`;
