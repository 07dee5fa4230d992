import { type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { route } from './shared/routes';
import { checkHealth } from '../lib/health';
import { appVersion } from '../lib/version';
import { clients } from '../app/services';

const version = appVersion();

export async function health(_request: HttpRequest): Promise<HttpResponseInit> {
  const report = await checkHealth(clients, version);
  return { status: report.status === 'Healthy' ? 200 : 503, jsonBody: report };
}

route('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health }, { arm: false });
