// What an imported Flagsmith environment document names that the service must keep to give the same
// answers and to find the same rows again on the next import:
// - the document's ids of multivariate options and allocations: a state's variants are split in the
//   order of their allocation ids, and a re-import matches options by id (never by value, since two
//   options may share one);
// - the document's project id, so that importing into a new environment finds the project;
// - the environment's own hide_disabled_flags, which overrides the project's when it is set;
// - segments that share a name, which Flagsmith allows (a document's segments are told apart by id).
export default /* sql */ `
ALTER TABLE projects ADD COLUMN document_id bigint;
ALTER TABLE environments ADD COLUMN hide_disabled_flags boolean;
ALTER TABLE multivariate_options ADD COLUMN document_id bigint;
ALTER TABLE multivariate_allocations ADD COLUMN document_id bigint;
ALTER TABLE segments DROP CONSTRAINT IF EXISTS segments_project_id_name_key;
`;
