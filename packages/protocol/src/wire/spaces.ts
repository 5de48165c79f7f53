import { z } from 'zod'
import { uuid } from './fields.js'

/** `reader` pulls; `writer` also pushes; `owner` also manages members and invites. */
export const ROLES = ['owner', 'writer', 'reader'] as const
export const roleSchema = z.enum(ROLES)
export type Role = z.infer<typeof roleSchema>

/** Whether a role may push bundles into its space. */
export const canWrite = (role: Role | null | undefined): boolean =>
  role === 'owner' || role === 'writer'

const spaceName = z.string().trim().min(1).max(200)

/** A space as its member sees it. The private space's id is the user's id. */
export const spaceSchema = z.object({
  id: uuid,
  name: z.string(),
  role: roleSchema,
  private: z.literal(true).optional(),
})
export type Space = z.infer<typeof spaceSchema>

/** A membership change in a `/v1/sync` answer; `role: null` means the caller was removed. */
export const spaceChangeSchema = z.object({
  id: uuid,
  name: z.string(),
  role: roleSchema.nullable(),
})
export type SpaceChange = z.infer<typeof spaceChangeSchema>

export const memberSchema = z.object({
  /** An opaque URL-safe id of the user. */
  user: uuid,
  name: z.string(),
  role: roleSchema,
})
export type Member = z.infer<typeof memberSchema>

export const inviteSchema = z.object({
  id: uuid,
  role: roleSchema,
  /** Epoch ms; absent: never expires. */
  expiresAt: z.number().optional(),
  /** Absent: unlimited. */
  maxUses: z.number().int().optional(),
  uses: z.number().int(),
  createdAt: z.number(),
})
export type Invite = z.infer<typeof inviteSchema>

/** An invite code: at least 128 random bits, base64url. */
export const inviteCode = z
  .string()
  .min(22)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be an invite code')

/** Request and answer schemas of the spaces routes (DESIGN §8). */
export const spaceSchemas = {
  createSpaceRequest: z.strictObject({ name: spaceName }),
  spaceResponse: z.object({ space: spaceSchema }),
  spacesResponse: z.object({ spaces: z.array(spaceSchema) }),
  membersResponse: z.object({ members: z.array(memberSchema) }),
  setRoleRequest: z.strictObject({ role: roleSchema }),
  memberResponse: z.object({ member: memberSchema }),
  createInviteRequest: z.strictObject({
    role: roleSchema,
    expiresInSeconds: z
      .number()
      .int()
      .min(1)
      .max(10 * 365 * 86_400)
      .optional(),
    maxUses: z.number().int().min(1).max(1_000_000).optional(),
  }),
  inviteCreatedResponse: z.object({ code: z.string(), invite: inviteSchema }),
  invitesResponse: z.object({ invites: z.array(inviteSchema) }),
  acceptInviteRequest: z.strictObject({ code: inviteCode }),
  spaceParams: z.strictObject({ space: uuid }),
  memberParams: z.strictObject({ space: uuid, user: uuid }),
  inviteParams: z.strictObject({ space: uuid, invite: uuid }),
  spaceIdsQuery: z.strictObject({ space: uuid.optional() }),
}

export type SpaceSchemas = typeof spaceSchemas
