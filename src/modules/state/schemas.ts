/** Wire shapes of the shared-state API (SPEC §2), declared once; types derive from them. */
import { type Static, Type } from 'typebox'
import {
  FreeObject,
  IsoTimestamp,
  Nullable,
  PageQuery,
  SafeInteger,
  StoredText,
  StringEnum,
} from '../../platform/http/common-schemas.js'

const MESSAGE_MAX_LENGTH = 10_000

export const StateValue = Type.Object(
  {
    counter: SafeInteger(),
    message: Type.String(),
  },
  { title: 'StateValue' },
)
export type StateValue = Static<typeof StateValue>

const HEALTH = ['healthy', 'degraded', 'unhealthy'] as const

const Component = Type.Object(
  {
    name: Type.String(),
    status: StringEnum(HEALTH),
    details: FreeObject(),
  },
  { title: 'HealthComponent' },
)

export const StatusResponse = Type.Object(
  {
    counter: SafeInteger(),
    message: Type.String(),
    state: StateValue,
    version: Type.Integer({ minimum: 0 }),
    timestamp: IsoTimestamp('now'),
    uptime_seconds: Type.Number(),
    overall_status: StringEnum(HEALTH),
    components: Type.Array(Component),
  },
  { title: 'Status' },
)

export const UpdateBody = Type.Object(
  {
    counter: Type.Optional(SafeInteger({ description: 'new counter value' })),
    message: Type.Optional(StoredText({ maxLength: MESSAGE_MAX_LENGTH, description: 'new message' })),
    increment: Type.Optional(SafeInteger({ description: 'added atomically to the counter; not with `counter`' })),
  },
  {
    title: 'StateUpdate',
    examples: [{ counter: 42, message: 'deployed 1.4.2' }],
    additionalProperties: false,
    description: 'at least one of counter, message, increment',
  },
)
export type UpdateBody = Static<typeof UpdateBody>

export const UpdateHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'the version you read, as "<version>"; 412 if it moved on' })),
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'same key + same body within 24 h replays the first response',
    }),
  ),
})

export const UpdateResponse = Type.Object(
  {
    success: Type.Boolean(),
    message: Type.String(),
    old_state: StateValue,
    new_state: StateValue,
    state: StateValue,
    version: Type.Integer(),
  },
  { title: 'StateUpdateResult' },
)
export type UpdateResponse = Static<typeof UpdateResponse>

export const LogsQuery = Type.Object({
  ...PageQuery,
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of a previous page' })),
})
export type LogsQuery = Static<typeof LogsQuery>

export const LogEntry = Type.Object(
  {
    id: Type.Integer(),
    timestamp: IsoTimestamp(),
    old_counter: SafeInteger(),
    new_counter: SafeInteger(),
    old_message: Type.String(),
    new_message: Type.String(),
    update_type: Type.String({ description: '"counter", "message" or "counter, message"' }),
    old_value: StateValue,
    new_value: StateValue,
  },
  { title: 'LogEntry' },
)
export type LogEntry = Static<typeof LogEntry>

export const LogsResponse = Type.Object(
  {
    logs: Type.Array(LogEntry),
    page: Type.Integer(),
    limit: Type.Integer(),
    total: Type.Integer(),
    total_pages: Type.Integer(),
    next_cursor: Nullable(
      Type.String({ description: 'pass as ?cursor= for the next older entries; null on the last page' }),
    ),
  },
  { title: 'LogPage' },
)
export type LogsResponse = Static<typeof LogsResponse>

export const RootResponse = Type.Object(
  {
    message: Type.String(),
    service: Type.String(),
    status: Type.String(),
    version: Type.String(),
    endpoints: Type.Record(Type.String(), Type.String()),
    docs: Type.String(),
  },
  { title: 'ServiceIndex' },
)
