// Bounds on what one identity holds: the SDK endpoints take traits from anyone who holds a public
// client key, and without a bound one identity grew to megabytes that every later read carried.
// A batch's write now checks each identity's traits after its patch against the bounds the caller
// passes (most traits, most bytes of their JSON), under the row lock the upsert takes, and leaves an
// identity that would break one as it was, saying so in `refused`; the rest of the batch is written.
//
// Migration 3's function stays as it was for instances of the previous release during a deploy.
export default /* sql */ `
-- Whether traits stay within the bounds: how many there are, and the size of their JSON text.
CREATE FUNCTION flagstack_traits_within(traits jsonb, max_traits integer, max_bytes integer)
  RETURNS boolean LANGUAGE sql IMMUTABLE AS $function$
  SELECT (SELECT count(*) FROM jsonb_object_keys(traits)) <= max_traits AND octet_length(traits::text) <= max_bytes
$function$;

-- As flagstack_write_identity_traits (migration 3), with bounds. An identity whose traits would exceed
-- them after its patch is not written: it comes back with its traits before the batch, refused, and
-- the count and size its traits would have had.
CREATE FUNCTION flagstack_write_bounded_identity_traits(
    environment_ids integer[], identifiers text[], patches jsonb[], contended boolean[], max_traits integer, max_bytes integer)
  RETURNS TABLE (environment_id integer, identifier text, traits jsonb, refused boolean, trait_count integer, trait_bytes integer)
  LANGUAGE plpgsql AS $function$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH input AS (
    SELECT x.environment_id, x.identifier, x.patch, x.contended, i.traits AS before,
           x.contended OR i.traits IS NULL OR jsonb_strip_nulls(i.traits || x.patch) IS DISTINCT FROM i.traits AS to_write,
           jsonb_strip_nulls(coalesce(i.traits, '{}') || x.patch) AS expected
      FROM unnest(environment_ids, identifiers, patches, contended) AS x(environment_id, identifier, patch, contended)
      LEFT JOIN LATERAL (SELECT traits FROM identities i
                          WHERE i.environment_id = x.environment_id AND i.identifier = x.identifier OFFSET 0) i ON true
  ), written AS (
    -- The snapshot's view decides for new identities; the row lock's, in the WHERE, for existing ones.
    INSERT INTO identities AS i (environment_id, identifier, traits)
    SELECT environment_id, identifier, CASE WHEN before IS NULL AND NOT contended THEN jsonb_strip_nulls(patch) ELSE patch END
      FROM input WHERE to_write AND flagstack_traits_within(expected, max_traits, max_bytes)
     ORDER BY environment_id, identifier
    ON CONFLICT (environment_id, identifier) DO UPDATE
      SET traits = jsonb_strip_nulls(i.traits || EXCLUDED.traits), updated_at = now()
      WHERE flagstack_traits_within(jsonb_strip_nulls(i.traits || EXCLUDED.traits), max_traits, max_bytes)
    RETURNING i.environment_id, i.identifier, i.traits
  )
  SELECT w.environment_id, w.identifier, jsonb_strip_nulls(w.traits), false, NULL::integer, NULL::integer FROM written w
  UNION ALL
  SELECT environment_id, identifier, jsonb_strip_nulls(before), false, NULL::integer, NULL::integer FROM input WHERE NOT to_write
  UNION ALL
  SELECT n.environment_id, n.identifier, coalesce(jsonb_strip_nulls(n.before), '{}'), true,
         (SELECT count(*) FROM jsonb_object_keys(n.expected))::integer, octet_length(n.expected::text)
    FROM input n
   WHERE n.to_write AND NOT EXISTS (SELECT 1 FROM written w WHERE w.environment_id = n.environment_id AND w.identifier = n.identifier);
END
$function$;
`;
