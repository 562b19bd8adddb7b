using Estuary.DevServer.Engine;
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
        On<LockTimeSkippingRequest, LockTimeSkippingResponse>("LockTimeSkipping", _ =>
        {
            engine.LockTimeSkipping();
            return new LockTimeSkippingResponse();
        });
        On<UnlockTimeSkippingRequest, UnlockTimeSkippingResponse>("UnlockTimeSkipping", _ =>
        {
            engine.UnlockTimeSkipping();
            return new UnlockTimeSkippingResponse();
        });
        On<Empty, GetCurrentTimeResponse>("GetCurrentTime", _ => new GetCurrentTimeResponse { Time = Timestamp.FromDateTime(engine.CurrentTime()) });
        OnAsync<SleepRequest, SleepResponse>("Sleep", async (request, context) =>
        {
            await engine.SleepUntilAsync(engine.CurrentTime() + (request.Duration?.ToTimeSpan() ?? TimeSpan.Zero), false, context.CancellationToken);
            return new SleepResponse();
        });
        OnAsync<SleepRequest, SleepResponse>("UnlockTimeSkippingWithSleep", async (request, context) =>
        {
            await engine.SleepUntilAsync(engine.CurrentTime() + (request.Duration?.ToTimeSpan() ?? TimeSpan.Zero), true, context.CancellationToken);
            return new SleepResponse();
        });
        OnAsync<SleepUntilRequest, SleepResponse>("SleepUntil", async (request, context) =>
        {
            await engine.SleepUntilAsync(request.Timestamp?.ToDateTime() ?? engine.CurrentTime(), false, context.CancellationToken);
            return new SleepResponse();
        });
    }
}
