/**
 * The web dashboard (SPEC §7): the single-page app of ui/ served at /ui/. No tables, no migrations;
 * the page talks to the other modules only through the public API, as any client does.
 */
import path from 'node:path'
import type { Module } from '../../platform/module.js'
import { PACKAGE_ROOT } from '../../platform/paths.js'
import { uiRoutes } from './routes.js'

/** Where `npm run build:ui` writes the page (shipped in the image beside dist/). */
export const UI_DIST = path.join(PACKAGE_ROOT, 'ui', 'dist')

export const uiModule: Module = {
  name: 'ui',
  migrations: {},
  async register(app) {
    await app.register(uiRoutes, { dist: UI_DIST })
  },
}
