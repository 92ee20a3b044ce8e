/** Wire shapes of the identity API (SPEC §3), declared once; types derive from them. */
import { type Static, Type } from 'typebox'
import { IsoTimestamp, Nullable, StoredText, StringEnum } from '../../platform/http/common-schemas.js'
import { STRING_ID_PATTERN } from '../../platform/ids.js'
import { TOKEN_SCOPES } from './tokens.js'

const Username = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9._@+-]+$',
  description: 'letters, digits and . _ @ + -',
})
// Passwords are never stored as sent, so any text goes; the upper bound keeps argon2 cheap to refuse.
const Password = Type.String({ minLength: 1, maxLength: 1024 })
const NewPassword = Type.String({ minLength: 8, maxLength: 1024, description: 'at least 8 characters' })
const Email = Type.String({ format: 'email', maxLength: 254 })
const Name = StoredText({ maxLength: 100 })
/** Users, profiles and tokens are named by strings (SPEC §3): a UUID, or an older row's integer id as text. */
const StringId = (description: string) => Type.String({ pattern: STRING_ID_PATTERN, maxLength: 36, description })
const Id = Type.String()

export const UserIdParams = Type.Object({ id: StringId('the user id POST /users answered') })
export const TokenParams = Type.Object({
  id: StringId('the user id'),
  tid: StringId('the token id POST /users/{id}/tokens answered'),
})

export const LoginBody = Type.Object(
  { username: Username, password: Password },
  {
    title: 'Credentials',
    examples: [{ username: 'alice', password: 'correct horse battery' }],
    additionalProperties: false,
  },
)
export type LoginBody = Static<typeof LoginBody>

/** OAuth2 password-grant form (what FastAPI's OAuth2PasswordRequestForm clients send), or the same as JSON. */
export const LoginForm = Type.Object(
  {
    username: Username,
    password: Password,
    grant_type: Type.Optional(Type.String({ maxLength: 50 })),
    scope: Type.Optional(Type.String({ maxLength: 500 })),
    client_id: Type.Optional(Type.String({ maxLength: 200 })),
    client_secret: Type.Optional(Type.String({ maxLength: 200 })),
  },
  {
    title: 'LoginForm',
    examples: [{ username: 'alice', password: 'correct horse battery', grant_type: 'password' }],
    additionalProperties: false,
  },
)

export const IdmBody = Type.Object(
  {
    username: Username,
    idm_token: Type.String({ minLength: 1, maxLength: 16_384, description: 'OIDC ID token (RS256/ES256)' }),
  },
  {
    title: 'IdmLogin',
    examples: [{ username: 'alice', idm_token: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' }],
    additionalProperties: false,
  },
)

export const TokenResponse = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'seconds' }),
  },
  { title: 'AccessToken' },
)

const LoginUser = Type.Object(
  {
    id: Id,
    username: Type.String(),
    email: Nullable(Type.String()),
    is_superuser: Type.Boolean(),
  },
  { title: 'LoginUser' },
)
export const UserLoginResponse = Type.Object({ ...TokenResponse.properties, user: LoginUser }, { title: 'UserLogin' })

export const CreateUserBody = Type.Object(
  {
    username: Username,
    email: Type.Optional(Nullable(Email)),
    password: Type.Optional(NewPassword),
    first_name: Type.Optional(Nullable(Name)),
    last_name: Type.Optional(Nullable(Name)),
    employee_id: Type.Optional(Nullable(Name)),
    is_active: Type.Optional(Type.Boolean()),
    is_superuser: Type.Optional(Type.Boolean()),
  },
  {
    title: 'NewUser',
    examples: [
      { username: 'alice', email: 'alice@example.com', password: 'correct horse battery', first_name: 'Alice' },
    ],
    additionalProperties: false,
  },
)
export type CreateUserBody = Static<typeof CreateUserBody>

export const CreateUserResponse = Type.Object(
  { id: Id, username: Type.String(), status: Type.Literal('created') },
  { title: 'UserCreated' },
)

// Absent or null: unchanged, for every field (clients send their whole model with nulls for the rest).
export const UpdateUserBody = Type.Object(
  {
    email: Type.Optional(Nullable(Email)),
    password: Type.Optional(Nullable(NewPassword)),
    current_password: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 1024,
          description: 'your current password: required to change password or email (superusers excepted)',
        }),
      ),
    ),
    first_name: Type.Optional(Nullable(Name)),
    last_name: Type.Optional(Nullable(Name)),
    employee_id: Type.Optional(Nullable(Name)),
    is_active: Type.Optional(
      Nullable(Type.Boolean({ description: 'false deactivates: sets deactivated_at and the profile end_date' })),
    ),
    is_superuser: Type.Optional(Nullable(Type.Boolean({ description: 'superusers only' }))),
    deactivated_at: Type.Optional(
      Nullable(IsoTimestamp('deactivates the user, recorded as of this time (also the profile end_date)')),
    ),
  },
  { title: 'UserChanges', examples: [{ email: 'alice@example.org' }], additionalProperties: false },
)
export type UpdateUserBody = Static<typeof UpdateUserBody>

export const UpdateUserResponse = Type.Object(
  { status: Type.Literal('updated'), user_id: Id },
  { title: 'UserUpdated' },
)

// Name fields and employee_id are "" when not given, never null (SPEC §3): clients parse them as str.
export const UserResponse = Type.Object(
  {
    id: Id,
    username: Type.String(),
    email: Nullable(Type.String()),
    first_name: Type.String(),
    last_name: Type.String(),
    employee_id: Type.String(),
    is_active: Type.Boolean(),
    is_superuser: Type.Boolean(),
    created_at: IsoTimestamp(),
    updated_at: IsoTimestamp(),
    deactivated_at: Nullable(IsoTimestamp()),
  },
  { title: 'User' },
)
export type UserResponse = Static<typeof UserResponse>

export const ProfileResponse = Type.Object(
  {
    id: Id,
    user_id: Id,
    first_name: Type.String(),
    last_name: Type.String(),
    employee_id: Type.String(),
    email: Nullable(Type.String()),
    start_date: IsoTimestamp(),
    end_date: Nullable(IsoTimestamp()),
    created_at: IsoTimestamp(),
    is_active: Type.Boolean(),
    deactivated_at: Nullable(IsoTimestamp()),
  },
  { title: 'Profile' },
)
export type ProfileResponse = Static<typeof ProfileResponse>

export const CreateTokenBody = Type.Object(
  {
    name: StoredText({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(StringEnum(TOKEN_SCOPES), {
      minItems: 1,
      maxItems: 4,
      description: 'read, write, admin; build = write',
    }),
    expires_at: Type.Optional(Nullable(IsoTimestamp('when the token stops working (ISO 8601); none: never'))),
  },
  { title: 'NewApiToken', examples: [{ name: 'ci pipeline', scopes: ['read', 'write'] }], additionalProperties: false },
)
export type CreateTokenBody = Static<typeof CreateTokenBody>

export const CreateTokenResponse = Type.Object(
  {
    id: Id,
    token: Type.String({ description: 'shown only in this response; send it as X-API-Key' }),
    name: Type.String(),
    scopes: Type.Array(Type.String()),
    expires_at: Nullable(IsoTimestamp()),
    status: Type.Literal('created'),
  },
  { title: 'ApiTokenCreated' },
)

export const TokenInfo = Type.Object(
  {
    id: Id,
    user_id: Id,
    name: Type.String(),
    scopes: Type.Array(Type.String()),
    created_at: IsoTimestamp(),
    expires_at: Nullable(IsoTimestamp()),
    revoked_at: Nullable(IsoTimestamp()),
    is_active: Type.Boolean(),
  },
  { title: 'ApiToken' },
)
export type TokenInfo = Static<typeof TokenInfo>
export const TokenListResponse = Type.Object({ tokens: Type.Array(TokenInfo) }, { title: 'ApiTokenList' })
export const RevokeTokenResponse = Type.Object(
  { status: Type.Literal('deactivated'), token_id: Id },
  { title: 'ApiTokenRevoked' },
)
