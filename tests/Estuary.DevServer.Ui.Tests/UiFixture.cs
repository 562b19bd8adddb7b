using Estuary.DevServer.Ui.Tests.Workflows;
using Microsoft.Playwright;
using Temporalio.Client;
using Temporalio.Worker;

namespace Estuary.DevServer.Ui.Tests;

/// <summary>
/// One embedded server with its UI, one worker and one Chromium for the whole run. Chromium is Debian's
/// (<c>apt-get install chromium</c>), launched through its path: Playwright's own browser download is not used.
/// </summary>
public sealed class UiFixture : IAsyncLifetime
{
    public const string TaskQueue = "ui-tests";

    private const string ChromiumPath = "/usr/bin/chromium";

    private readonly CancellationTokenSource _stop = new();
    private TemporalDevServer? _server;
    private TemporalWorker? _worker;
    private Task? _workerRun;
    private IPlaywright? _playwright;

    public TemporalClient Client { get; private set; } = null!;

    /// <summary>The worker's <c>flaky-when-released</c> activity, which a test lets fail when it chooses.</summary>
    public GatedActivities GatedActivities { get; } = new();

    /// <summary>The UI's root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri UiUrl { get; private set; } = null!;

    public IBrowser? Browser { get; private set; }

    /// <summary>Where each test's screenshots go: <c>TestResults/screenshots</c> in the test output directory.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async ValueTask InitializeAsync()
    {
        _server = await TemporalDevServer.StartAsync(new DevServerOptions { Namespaces = ["default", "ui-other"], UiPort = 0 });
        UiUrl = _server.UiUrl!;
        Client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(_server.Address) { Namespace = "default" });
        _worker = new TemporalWorker(Client, new TemporalWorkerOptions(TaskQueue)
        {
            WorkflowStackTrace = WorkflowStackTrace.Normal,
        }
            .AddWorkflow<GreetingWorkflow>()
            .AddWorkflow<WaitingWorkflow>()
            .AddWorkflow<RetryingWorkflow>()
            .AddWorkflow<ChainWorkflow>()
            .AddWorkflow<ParentWorkflow>()
            .AddActivity(GreetingActivities.Greet)
            .AddActivity(GreetingActivities.Flaky)
            .AddAllActivities(GatedActivities));
        _workerRun = _worker.ExecuteAsync(_stop.Token);

        if (File.Exists(ChromiumPath))
        {
            _playwright = await Playwright.CreateAsync();
            Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                // This machine's network is closed: no sandbox (root), and none of Chromium's background connections.
                Args =
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                ],
            });
        }
        Directory.CreateDirectory(ScreenshotDirectory);
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    /// <summary>A new page in its own browser context (fresh cookies), or the test is skipped where Chromium is missing.</summary>
    public async Task<IPage> NewPageAsync()
    {
        if (Browser is null)
        {
            Assert.Skip($"Chromium is not installed at {ChromiumPath} (apt-get install -y chromium).");
        }
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = UiUrl.ToString(),
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
        });
        return await context.NewPageAsync();
    }

    /// <summary>Keeps a screenshot of the whole page as a test artifact.</summary>
    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, $"{name}.png"), FullPage = true });

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        await _stop.CancelAsync();
        if (_workerRun is not null)
        {
            try
            {
                await _workerRun;
            }
            catch (OperationCanceledException)
            {
                // The worker stops by cancellation.
            }
        }
        _worker?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _stop.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class UiGroup : ICollectionFixture<UiFixture>
{
    public const string Name = "ui";
}
