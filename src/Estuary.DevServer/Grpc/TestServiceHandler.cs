using Estuary.DevServer.Engine;
using Estuary.DevServer.Engine.Operations;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Temporalio.Api.TestService.V1;

namespace Estuary.DevServer.Grpc;

/// <summary>temporal.api.testservice.v1.TestService: time skipping control as Temporal's test server offers it.</summary>
internal sealed class TestServiceHandler : ServiceHandler
{
    public TestServiceHandler(DevServerEngine engine, ILogger<TestServiceHandler> logger)
        : base(ServiceReflection.Descriptor.Services[0], logger)
    {
        var timeSkipping = new TimeSkippingOperations(engine);
        On<LockTimeSkippingRequest, LockTimeSkippingResponse>("LockTimeSkipping", _ =>
        {
            timeSkipping.LockTimeSkipping();
            return new LockTimeSkippingResponse();
        });
        On<UnlockTimeSkippingRequest, UnlockTimeSkippingResponse>("UnlockTimeSkipping", _ =>
        {
            timeSkipping.UnlockTimeSkipping();
            return new UnlockTimeSkippingResponse();
        });
        On<Empty, GetCurrentTimeResponse>("GetCurrentTime", _ => new GetCurrentTimeResponse { Time = Timestamp.FromDateTime(timeSkipping.CurrentTime()) });
        OnAsync<SleepRequest, SleepResponse>("Sleep", async (request, context) =>
        {
            await timeSkipping.SleepUntilAsync(timeSkipping.CurrentTime() + (request.Duration?.ToTimeSpan() ?? TimeSpan.Zero), false, context.CancellationToken);
            return new SleepResponse();
        });
        OnAsync<SleepRequest, SleepResponse>("UnlockTimeSkippingWithSleep", async (request, context) =>
        {
            await timeSkipping.SleepUntilAsync(timeSkipping.CurrentTime() + (request.Duration?.ToTimeSpan() ?? TimeSpan.Zero), true, context.CancellationToken);
            return new SleepResponse();
        });
        OnAsync<SleepUntilRequest, SleepResponse>("SleepUntil", async (request, context) =>
        {
            await timeSkipping.SleepUntilAsync(request.Timestamp?.ToDateTime() ?? timeSkipping.CurrentTime(), false, context.CancellationToken);
            return new SleepResponse();
        });
    }
}
