/** Projects: what features, segments and environments belong to. */
import type { ProjectCreate, ProjectUpdate } from './schemas';
import type { Queryable } from '../../storage/database';
import { lockRow, projectById } from '../lookups';
import type { Change } from '../writer';

export const listProjects = (tx: Queryable) => tx.query('SELECT * FROM projects ORDER BY id');
export const getProject = projectById;

export async function createProject({ tx, record }: Change, input: ProjectCreate) {
  const [project] = await tx.query<{ id: number }>('INSERT INTO projects (name, hide_disabled_flags) VALUES ($1, $2) RETURNING *', [
    input.name,
    input.hide_disabled_flags ?? false,
  ]);
  record({ action: 'create', entityType: 'project', entityId: project.id, projectId: project.id, after: project });
  return project;
}

export async function updateProject({ tx, record }: Change, id: number, input: ProjectUpdate) {
  await lockRow(tx, 'projects', id);
  const before = await projectById(tx, id);
  const [after] = await tx.query(
    'UPDATE projects SET name = COALESCE($2, name), hide_disabled_flags = COALESCE($3, hide_disabled_flags) WHERE id = $1 RETURNING *',
    [id, input.name ?? null, input.hide_disabled_flags ?? null],
  );
  record({ action: 'update', entityType: 'project', entityId: id, projectId: id, before, after });
  return after;
}

/** Deletes a project and everything in it; each of its environments is recorded as deleted too. */
export async function deleteProject({ tx, record }: Change, id: number) {
  await lockRow(tx, 'projects', id);
  const before = await projectById(tx, id);
  const environments = await tx.query<{ id: number }>('SELECT id FROM environments WHERE project_id = $1', [id]);
  await tx.query('DELETE FROM projects WHERE id = $1', [id]);
  record({ action: 'delete', entityType: 'project', entityId: id, before });
  for (const env of environments) record({ action: 'delete', entityType: 'environment', entityId: env.id, environmentId: env.id });
}
