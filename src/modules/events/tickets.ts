/**
 * Single-use stream tickets (POST /events/tickets → GET /events?ticket=): EventSource cannot send
 * headers, and a long-lived key must never sit in a URL. A ticket is 256 random bits, lives ~60 s,
 * works once, and carries the scopes of the credential that minted it. Kept where every replica
 * sees it: Redis when set, else the database (only a hash of the ticket is stored either way).
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Db } from '../../platform/db/index.js'
import * as repo from './repository.js'
import type { EventsTables } from './tables.js'

export const TICKET_TTL_SECONDS = 60

export interface TicketStore {
  /** A new ticket carrying `scopes`. */
  mint(scopes: readonly string[]): Promise<string>
  /** The scopes of a ticket, taking it out; undefined when unknown, already used or expired. */
  redeem(ticket: string): Promise<string[] | undefined>
  /** Drops expired tickets (the database store; Redis expires them itself). */
  sweep(): Promise<void>
}

const hashOf = (ticket: string) => createHash('sha256').update(ticket).digest('base64url')

export function ticketStore(db: Db<EventsTables>, redis: Redis | undefined): TicketStore {
  const key = (ticket: string) => `statehouse:events:ticket:${hashOf(ticket)}`
  if (redis) {
    return {
      async mint(scopes) {
        const ticket = randomBytes(32).toString('base64url')
        await redis.set(key(ticket), scopes.join(' '), 'EX', TICKET_TTL_SECONDS)
        return ticket
      },
      async redeem(ticket) {
        const scopes = await redis.getdel(key(ticket))
        return scopes === null ? undefined : scopes.split(' ').filter(Boolean)
      },
      sweep: async () => {},
    }
  }
  return {
    async mint(scopes) {
      const ticket = randomBytes(32).toString('base64url')
      const expires = new Date(Date.now() + TICKET_TTL_SECONDS * 1000).toISOString()
      await repo.insertTicket(db.kysely, hashOf(ticket), scopes.join(' '), expires)
      return ticket
    },
    async redeem(ticket) {
      const scopes = await repo.takeTicket(db.kysely, hashOf(ticket), new Date().toISOString())
      return scopes === undefined ? undefined : scopes.split(' ').filter(Boolean)
    },
    sweep: () => repo.deleteExpiredTickets(db.kysely, new Date().toISOString()),
  }
}
