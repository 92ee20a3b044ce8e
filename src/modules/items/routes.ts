/** HTTP surface of the items API (SPEC §4): every route needs a JWT and has its own rate limit. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { AuthRequirement, Principal } from '../../platform/auth/index.js'
import { errors } from '../../platform/http/problem-responses.js'
import { perClientLimit } from '../../platform/rate-limit.js'
import { problems } from './problems.js'
import { Item, ItemChanges, ItemParams, ItemsQuery, NewItem } from './schemas.js'
import type { ItemsService } from './service.js'

export interface ItemsRoutesOptions {
  items: ItemsService
  perMinute: number
}

const caller = (principal: Principal | null): Principal => {
  if (!principal) throw problems.unauthorized('Not authenticated', 'Bearer')
  return principal
}

export const itemsRoutes: FastifyPluginAsyncTypebox<ItemsRoutesOptions> = async (app, { items, perMinute }) => {
  const limit = perClientLimit(app, '/items', perMinute)
  const onRequest = limit ? { onRequest: limit } : {}
  const read = { auth: { schemes: ['bearer'], scope: 'read' } satisfies AuthRequirement }
  const write = { auth: { schemes: ['bearer'], scope: 'write' } satisfies AuthRequirement }
  const tags = ['items']

  // DELETE carries no body, but clients that send one JSON content type on every request would get
  // a 400 for the empty body; in this scope an empty DELETE body is simply absent.
  const json = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (request.method === 'DELETE' && body === '') return done(null, undefined)
    json(request, body as string, done)
  })

  app.post(
    '/items',
    {
      ...onRequest,
      config: write,
      schema: {
        operationId: 'createItem',
        summary: 'Create an item (yours)',
        tags,
        body: NewItem,
        response: { 201: Item, ...errors(400, 401, 413, 415, 422, 429) },
      },
    },
    async (request, reply) => {
      const item = await items.create(caller(request.principal), request.body)
      return reply.code(201).header('location', `/items/${item.id}`).send(item)
    },
  )

  app.get(
    '/items',
    {
      ...onRequest,
      config: read,
      schema: {
        operationId: 'listItems',
        summary: 'Your items, newest first (X-Total-Count: how many in all)',
        tags,
        querystring: ItemsQuery,
        response: { 200: Type.Array(Item), ...errors(401, 422, 429) },
      },
    },
    async (request, reply) => {
      const { items: page, total } = await items.list(
        caller(request.principal),
        request.query.limit,
        request.query.offset,
      )
      return reply.header('x-total-count', String(total)).send(page)
    },
  )

  app.get(
    '/items/:id',
    {
      ...onRequest,
      config: read,
      schema: {
        operationId: 'getItem',
        summary: 'One of your items',
        tags,
        params: ItemParams,
        response: { 200: Item, ...errors(401, 404, 422, 429) },
      },
    },
    async (request) => items.get(caller(request.principal), request.params.id),
  )

  for (const method of ['put', 'patch'] as const) {
    app[method](
      '/items/:id',
      {
        ...onRequest,
        config: write,
        schema: {
          operationId: method === 'put' ? 'replaceItem' : 'updateItem',
          summary: `Change one of your items (${method.toUpperCase()}: an absent or null field stays as it is)`,
          tags,
          params: ItemParams,
          body: ItemChanges,
          response: { 200: Item, ...errors(400, 401, 404, 413, 415, 422, 429) },
        },
      },
      async (request) => items.update(caller(request.principal), request.params.id, request.body),
    )
  }

  app.delete(
    '/items/:id',
    {
      ...onRequest,
      config: write,
      schema: {
        operationId: 'deleteItem',
        summary: 'Delete one of your items',
        tags,
        params: ItemParams,
        response: { 204: Type.Null(), ...errors(401, 404, 422, 429) },
      },
    },
    async (request, reply) => {
      await items.delete(caller(request.principal), request.params.id)
      return reply.code(204).send(null)
    },
  )
}
