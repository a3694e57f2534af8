/** The SCIM error body of contract section 13.7 (`detail` any string unless given). */
export function scimError(status: number, scimType?: string, detail: unknown = expect.any(String)) {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
    requestId: expect.any(String),
  };
}
