// The built-in WhatsApp of embedded mode: a Cloud API stand-in that answers with signed webhooks, and the
// page where a person plays the participant.
export { simulatorPage } from './page.js';
export { type SimulatorRoutesOptions, simulatorRoutes } from './routes.js';
export {
  type ChatEntry,
  createSimulator,
  type Deliver,
  type SimInput,
  type Simulator,
  type SimulatorOptions,
  type Tick,
} from './simulator.js';
export { type ChatView, type ViewButton, viewOf } from './view.js';
