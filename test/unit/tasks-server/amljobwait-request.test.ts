import assert from 'assert';
import { renderRequest, SAMPLE, serverJobContext } from './amljobwait';

// The exact requests Azure DevOps sends for an AmlJobWait step, from its task.json templates.

describe('AmlJobWait: the requests Azure DevOps sends', () => {
  const context = serverJobContext({ ...SAMPLE, endpointUrl: 'https://management.azure.com/' });
  // As a pipeline writes the step, with an alias for the connection.
  const inputs = { connectedServiceNameARM: SAMPLE.connectionId, resourceGroup: 'rg-ml', workspaceName: 'mlw-prod', jobName: 'keen_apple_7x2k9q' };
  const jobUrl = `https://management.azure.com/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod/jobs/keen_apple_7x2k9q`;

  it('registers an AzureDevOps webhook on the job with a PATCH at api-version 2024-04-01, signed with the connection', () => {
    const r = renderRequest('Execute', inputs, context);
    assert.strictEqual(r.endpointId, SAMPLE.connectionId);
    assert.strictEqual(r.method, 'PATCH');
    assert.strictEqual(r.url, `${jobUrl}?api-version=2024-04-01`);
    assert.deepStrictEqual(r.headers, { 'Content-Type': 'application/json' });
    assert.deepStrictEqual(JSON.parse(r.body), {
      properties: {
        notificationSetting: {
          webhooks: {
            [`ADO_Webhook_${SAMPLE.timelineId}`]: {
              webhookType: 'AzureDevOps',
              eventType: 'RunTerminated',
              PlanUri: SAMPLE.collectionUri,
              ProjectId: SAMPLE.projectId,
              HubName: 'build',
              PlanId: SAMPLE.planId,
              JobId: SAMPLE.jobId,
              TimelineId: SAMPLE.timelineId,
              TaskInstanceId: SAMPLE.taskInstanceId,
              AuthToken: SAMPLE.accessToken,
            },
          },
        },
      },
    });
  });

  it('then waits for Azure ML to call back', () => {
    assert.strictEqual(renderRequest('Execute', inputs, context).waitForCompletion, 'true');
  });

  it('cancels the Azure ML job when the pipeline is cancelled', () => {
    const r = renderRequest('Cancel', inputs, context);
    assert.strictEqual(r.endpointId, SAMPLE.connectionId);
    assert.strictEqual(r.method, 'POST');
    assert.strictEqual(r.url, `${jobUrl}/cancel?api-version=2024-04-01`);
    assert.strictEqual(r.body, '');
  });

  it('needs the connection, resource group, workspace and job name', () => {
    for (const missing of Object.keys(inputs)) {
      const partial = Object.fromEntries(Object.entries(inputs).filter(([k]) => k !== missing));
      assert.throws(() => renderRequest('Execute', partial, context), /required input/, missing);
    }
  });
});
