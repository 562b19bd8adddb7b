using Estuary.Cli;

return await CliHost.RunAsync(args);
