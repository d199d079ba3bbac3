// One cold start, in a fresh process: import the bundle, call its handler once, report the times.
// performance.now() counts from this process's start, so `bootMs` is Node's own start-up.
const [bundle, eventJson] = process.argv.slice(2);
const event = JSON.parse(eventJson);
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
process.stdout.write(
  `\nCOLD_RESULT ${JSON.stringify({
    bootMs,
    importMs: imported - bootMs,
    firstCallMs: called - imported,
    status: response.statusCode,
    body: response.body,
  })}\n`,
);
process.exit(0);
