/** A project id for messages: the uuid, or `none (null)` for a unit or role without project. */
export function projectName(projectId: string | null): string {
  return projectId ?? 'none (null)';
}
