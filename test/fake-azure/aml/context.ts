import type { FakeRequest, FakeResponse, Principal } from '../http';
import { validatorFor, VALIDATED_API_VERSION, type SchemaValidator } from '../schema';
import type { WorkspaceBlobs } from './blobs';
import type { JobScript } from './lifecycle';
import type { ReferenceChecker } from './references';
import { invalidBody } from './responses';
import type { WorkspaceScope } from './scope';
import type { WorkspaceIdentity } from './seed';
import type { WorkspaceStore } from './store';
import type { JobWebhooks } from './webhooks';

/** What every handler of the workspace shares. */
export interface ServiceContext {
  scope: WorkspaceScope;
  identity: WorkspaceIdentity;
  store: WorkspaceStore;
  refs: ReferenceChecker;
  blobs?: WorkspaceBlobs;
  now(): Date;
  /** The script for the next job created. */
  jobScript(): JobScript;
  /** Job webhooks (PATCH of notificationSetting.webhooks) and the callbacks made when jobs end. */
  webhooks: JobWebhooks;
}

/** One authenticated ARM call. */
export interface ArmCall {
  req: FakeRequest;
  principal: Principal;
  apiVersion: string;
}

/**
 * The request body checked against the 2024-04-01 schema of `definition`, with defaults filled in,
 * or the 400 to answer. Bodies at any other api-version are refused: only 2024-04-01 has schemas here.
 */
export function validBody(call: ArmCall, definition: string, what: string): { body: any } | { error: FakeResponse } {
  const validator: SchemaValidator | undefined = call.apiVersion === VALIDATED_API_VERSION ? validatorFor(call.apiVersion) : undefined;
  if (!validator) {
    return {
      error: {
        status: 400,
        body: {
          error: {
            code: 'BadRequest',
            message: `This fake Azure ML workspace validates request bodies only at api-version ${VALIDATED_API_VERSION} (the stable contract its schemas come from); ` +
              `the ${call.req.method} of ${what} used api-version ${call.apiVersion}. Send bodies with api-version=${VALIDATED_API_VERSION}.`,
          },
        },
      },
    };
  }
  const json = call.req.json;
  if (json === undefined) {
    return { error: { status: 400, body: { error: { code: 'InvalidRequestContent', message: `The request content for ${what} was empty or not JSON; a JSON body is required.` } } } };
  }
  const issues = validator.validate(definition, json);
  if (issues.length) return { error: invalidBody(issues, what) };
  return { body: validator.normalize(definition, json) };
}
