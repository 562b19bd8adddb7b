using System.CommandLine;
using Estuary.Cli.Scaffolding;

namespace Estuary.Cli.Commands;

/// <summary>
/// <c>new domain &lt;Name&gt;</c>: adds a domain to the Estuary repository the current directory is in (the seed's
/// <c>startapp</c>): a worker project with an entity, its migration, an activity and a workflow, a test project, both in
/// the solution, the domain in the CLI and the AppHost. Checked before anything is written; undone if a step fails.
/// </summary>
internal sealed class NewCommand
{
    public NewCommand(CommandContext context)
    {
        var name = new Argument<string>("name") { Description = "The domain's name in PascalCase, letters and digits (Shipping); its lower case (shipping) names its task queue, database and resources." };
        var domain = new Command("domain", "Add a domain to this repository: worker project, entity, migration, activity, workflow, tests; registered in the solution, the CLI and the AppHost.")
        {
            name,
        };
        domain.SetAction(async (parse, cancellationToken) =>
        {
            var domainName = DomainName.Parse(parse.GetRequiredValue(name));
            var repository = EstuaryRepository.Find(context.WorkingDirectory);
            var scaffold = DomainScaffold.Plan(repository, domainName, context.Time.GetUtcNow());
            await scaffold.ApplyAsync(cancellationToken);
            await context.Output.WriteLineAsync(scaffold.Summary());
            return EstuaryCommandLine.Success;
        });
        Command = new Command("new", "Create something in this repository: 'new domain <Name>'.") { domain };
    }

    public Command Command { get; }
}
