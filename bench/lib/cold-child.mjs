// One cold start, in a fresh process: import the bundle, call its handler twice (the first call,
// then a warm one for comparison), report the times. performance.now() counts from this process's
// start, so `bootMs` is Node's own start-up.
const [bundle, eventsJson] = process.argv.slice(2);
const [event, warmEvent] = JSON.parse(eventsJson);
const context = {
  functionName: 'cold-start-bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:cold-start-bench',
  memoryLimitInMB: '256',
  awsRequestId: crypto.randomUUID(),
  logGroupName: '/aws/lambda/cold-start-bench',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 10_000,
  callbackWaitsForEmptyEventLoop: false,
};
const bootMs = performance.now();
const { handler } = await import(bundle);
const imported = performance.now();
const response = await handler(event, context);
const called = performance.now();
const warm = await handler(warmEvent, { ...context, awsRequestId: crypto.randomUUID() });
const calledAgain = performance.now();
process.stdout.write(
  `\nCOLD_RESULT ${JSON.stringify({
    bootMs,
    importMs: imported - bootMs,
    firstCallMs: called - imported,
    warmCallMs: calledAgain - called,
    status: response.statusCode,
    warmStatus: warm.statusCode,
    body: response.body,
  })}\n`,
);
process.exit(0);
