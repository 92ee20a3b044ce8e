/** HTTP surface of identity (SPEC §3): logins, users, profiles and issued API tokens. */
import formbody from '@fastify/formbody'
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { onRequestAsyncHookHandler } from 'fastify'
import type { Principal } from '../../platform/auth/index.js'
import { errors } from '../../platform/http/problem-responses.js'
import { perClientLimit } from '../../platform/rate-limit.js'
import type { IdmVerifier } from './idm.js'
import { problems } from './problems.js'
import {
  CreateTokenBody,
  CreateTokenResponse,
  CreateUserBody,
  CreateUserResponse,
  IdmBody,
  LoginBody,
  LoginForm,
  ProfileResponse,
  RevokeTokenResponse,
  TokenListResponse,
  TokenParams,
  TokenResponse,
  UpdateUserBody,
  UpdateUserResponse,
  UserIdParams,
  UserLoginResponse,
  UserResponse,
} from './schemas.js'
import { actsAsSuperuser, type IdentityService } from './service.js'

export interface IdentityRoutesOptions {
  identity: IdentityService
  /** Absent when IDM_JWKS_URL / IDM_ISSUER / IDM_AUDIENCE are not all set. */
  idm?: IdmVerifier
  loginsPerMinute: number
}

const caller = (principal: Principal | null): Principal => {
  // The auth hook sets it on every route that declares `config.auth`; reaching here without one is a bug.
  if (!principal) throw problems.unauthorized('Not authenticated')
  return principal
}

export const identityRoutes: FastifyPluginAsyncTypebox<IdentityRoutesOptions> = async (
  app,
  { identity, idm, loginsPerMinute },
) => {
  // One login budget per client across every login route (else each route's budget adds up);
  // every attempt counts, failed ones included.
  const loginHook = perClientLimit(app, 'login', loginsPerMinute)
  const loginLimit = (_route: string): { onRequest?: onRequestAsyncHookHandler } =>
    loginHook ? { onRequest: loginHook } : {}
  const tags = ['auth']

  // The form parser lives only in this scope, so forms are still 415 everywhere else.
  await app.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: 8192 })
    const form = scope.withTypeProvider<TypeBoxTypeProvider>()
    form.post(
      '/auth/login',
      {
        ...loginLimit('/auth/login'),
        schema: {
          operationId: 'login',
          summary: 'Log in with username and password (form or JSON) → JWT',
          tags,
          consumes: ['application/x-www-form-urlencoded', 'application/json'],
          body: LoginForm,
          response: { 200: TokenResponse, ...errors(400, 401, 415, 422, 429) },
        },
      },
      async (request) => (await identity.passwordLogin(request.body.username, request.body.password)).token,
    )
  })

  app.post(
    '/token',
    {
      ...loginLimit('/token'),
      schema: {
        operationId: 'issueToken',
        summary: 'Log in with username and password (JSON) → JWT',
        tags,
        body: LoginBody,
        response: { 200: TokenResponse, ...errors(400, 401, 415, 422, 429) },
      },
    },
    async (request) => (await identity.passwordLogin(request.body.username, request.body.password)).token,
  )

  app.post(
    '/auth/password',
    {
      ...loginLimit('/auth/password'),
      schema: {
        operationId: 'loginWithPassword',
        summary: 'Log in with username and password → JWT and the user',
        tags,
        body: LoginBody,
        response: { 200: UserLoginResponse, ...errors(400, 401, 415, 422, 429) },
      },
    },
    async (request) => {
      const { token, user } = await identity.passwordLogin(request.body.username, request.body.password)
      return {
        ...token,
        user: { id: user.id, username: user.username, email: user.email, is_superuser: user.is_superuser },
      }
    },
  )

  app.post(
    '/auth/idm',
    {
      ...loginLimit('/auth/idm'),
      schema: {
        operationId: 'loginWithIdm',
        summary: 'Log in with an OIDC ID token of the identity provider → JWT and the user',
        tags,
        body: IdmBody,
        response: { 200: UserLoginResponse, ...errors(400, 401, 415, 422, 429, 503) },
      },
    },
    async (request) => {
      if (!idm) throw problems.unauthorized('IDM login is not configured on this server', 'Bearer')
      const vouched = await idm.verify(request.body.idm_token)
      if (!vouched.includes(request.body.username)) {
        throw problems.unauthorized('the IDM token is for another user', 'Bearer')
      }
      const { token, user } = await identity.trustedLogin(request.body.username)
      return {
        ...token,
        user: { id: user.id, username: user.username, email: user.email, is_superuser: user.is_superuser },
      }
    },
  )

  const users = ['users']

  app.post(
    '/users',
    {
      config: { auth: { scope: 'admin' } },
      schema: {
        operationId: 'createUser',
        summary: 'Create a user (superuser or static key)',
        tags: users,
        body: CreateUserBody,
        response: { 200: CreateUserResponse, ...errors(401, 403, 409, 422) },
      },
    },
    async (request) => {
      if (!actsAsSuperuser(caller(request.principal))) throw problems.forbidden('only a superuser may create users')
      const user = await identity.createUser(request.body)
      return { id: user.id, username: user.username, status: 'created' as const }
    },
  )

  app.get(
    '/users/:id',
    {
      config: { auth: { scope: 'read' } },
      schema: {
        operationId: 'getUser',
        summary: 'A user (itself, or any for a superuser)',
        tags: users,
        params: UserIdParams,
        response: { 200: UserResponse, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => identity.getUser(caller(request.principal), request.params.id),
  )

  app.put(
    '/users/:id',
    {
      config: { auth: { scope: 'write' } },
      schema: {
        operationId: 'updateUser',
        summary: 'Change a user (itself, but not is_superuser; any for a superuser)',
        tags: users,
        params: UserIdParams,
        body: UpdateUserBody,
        response: { 200: UpdateUserResponse, ...errors(401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      await identity.updateUser(caller(request.principal), request.params.id, request.body)
      return { status: 'updated' as const, user_id: request.params.id }
    },
  )

  app.get(
    '/users/:id/profile',
    {
      config: { auth: { scope: 'read' } },
      schema: {
        operationId: 'getUserProfile',
        summary: "A user's profile with its active state",
        tags: users,
        params: UserIdParams,
        response: { 200: ProfileResponse, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => identity.getProfile(caller(request.principal), request.params.id),
  )

  app.post(
    '/users/:id/tokens',
    {
      config: { auth: { scope: 'write' } },
      schema: {
        operationId: 'createApiToken',
        summary: 'Issue an API token (its value is shown only in this response)',
        tags: users,
        params: UserIdParams,
        body: CreateTokenBody,
        response: { 200: CreateTokenResponse, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => ({
      ...(await identity.createToken(caller(request.principal), request.params.id, request.body)),
      status: 'created' as const,
    }),
  )

  app.get(
    '/users/:id/tokens',
    {
      config: { auth: { scope: 'read' } },
      schema: {
        operationId: 'listApiTokens',
        summary: "A user's API tokens (no secrets)",
        tags: users,
        params: UserIdParams,
        response: { 200: TokenListResponse, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => ({ tokens: await identity.listTokens(caller(request.principal), request.params.id) }),
  )

  app.delete(
    '/users/:id/tokens/:tid',
    {
      config: { auth: { scope: 'write' } },
      schema: {
        operationId: 'revokeApiToken',
        summary: 'Revoke an API token',
        tags: users,
        params: TokenParams,
        response: { 200: RevokeTokenResponse, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => {
      await identity.revokeToken(caller(request.principal), request.params.id, request.params.tid)
      return { status: 'deactivated' as const, token_id: request.params.tid }
    },
  )
}
