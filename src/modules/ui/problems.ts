/** The problems the dashboard's routes raise on purpose, over the platform's factories. */
import { Problem, problems as platform } from '../../platform/errors.js'

export const problems = {
  ...platform,
  /** A path that names a file of the page (…/app-X.js) that is not in the build: never index.html in its place. */
  assetNotFound: (name: string) => platform.notFound(`no dashboard file ${name}`, { file: name }),
  /** ui/dist is not there (an install without the dev dependencies, or a fresh clone before `npm install`). */
  notBuilt: () =>
    new Problem(
      503,
      'The dashboard is not built on this server: run `npm run build:ui` (it needs the dev dependencies: npm install), then reload.',
      { type: 'urn:statehouse:problem:dashboard-not-built', title: 'Dashboard not built' },
    ),
}
