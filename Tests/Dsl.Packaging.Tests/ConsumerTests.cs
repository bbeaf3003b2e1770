using System;
using System.IO;
using System.Linq;
using Xunit.Abstractions;

namespace Dsl.Packaging.Tests
{
    /// <summary>
    /// A model author's first ten minutes, end to end and against the packages only: install the template from the
    /// freshly packed feed, create a project, build it and run its tests (generated score vs autograd, SDE marginals,
    /// generated-code snapshots), with a NuGet.config naming the local feed and nuget.org and no project references.
    /// </summary>
    [Collection(PackagesCollection.Name)]
    public class ConsumerTests
    {
        private static readonly TimeSpan Short = TimeSpan.FromMinutes(2);
        private static readonly TimeSpan Long = TimeSpan.FromMinutes(6);

        private readonly PackageFixture packages;
        private readonly ITestOutputHelper output;

        public ConsumerTests(PackageFixture packages, ITestOutputHelper output) { this.packages = packages; this.output = output; }

        private CliResult Step(string what, string dir, TimeSpan timeout, params string[] args)
        {
            var r = DotnetCli.Run(dir, timeout, args);
            output.WriteLine($"{what}: {r.Elapsed.TotalSeconds:F1} s, exit {r.ExitCode}");
            if (r.ExitCode != 0 || r.TimedOut)
            {
                packages.Keep = true;
                Assert.Fail($"{what} failed (the consumer project is kept at {packages.Root}): {r}");
            }
            return r;
        }

        [Fact]
        public void A_project_made_by_the_template_builds_and_passes_its_tests_against_the_packages()
        {
            packages.EnsurePacked();
            string hive = Path.Combine(packages.Root, "template-hive");   // not the user's template cache
            string app = Path.Combine(packages.Root, "Consumer.App");
            Step("dotnet new install", packages.Root, Short, "new", "install", packages.TemplatePackage, "--debug:custom-hive", hive);
            Step("dotnet new dsl-model", packages.Root, Short, "new", "dsl-model", "-n", "Consumer.App", "-o", app, "--debug:custom-hive", hive);
            Assert.True(File.Exists(Path.Combine(app, "Consumer.App.csproj")), "the template did not create Consumer.App.csproj");
            Assert.DoesNotContain("ProjectReference", File.ReadAllText(Path.Combine(app, "Consumer.App.csproj")));

            File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="dsl-local" value="{packages.Feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """);

            var build = Step("dotnet build", app, Long, "build", "-c", "Release", "-nodeReuse:false");
            Assert.DoesNotContain(" error ", build.Output);

            // The native fix-up reached the consumer through buildTransitive, and the generators ran from the package.
            var nugetTargets = Directory.GetFiles(Path.Combine(app, "obj"), "*.nuget.g.targets").Single();
            Assert.Contains("Dsl.Runtime.targets", File.ReadAllText(nugetTargets));
            var generated = Directory.GetFiles(Path.Combine(app, "Generated"), "*.g.cs", SearchOption.AllDirectories).Select(Path.GetFileName).OrderBy(f => f).ToList();
            Assert.Equal(new[] { "Consumer.App.MixtureEnergy.Dsl.g.cs", "Consumer.App.NoisingSde.Sde.g.cs" }, generated);

            var first = Step("dotnet test (records the snapshots)", app, Long, "test", "-c", "Release", "--no-build");
            Assert.Contains("Passed!", first.Output);
            Assert.True(File.Exists(Path.Combine(app, "Snapshots", "Consumer.App.MixtureEnergy.Dsl.verified.cs")), "no snapshot recorded");
            var second = Step("dotnet test (compares with them)", app, Long, "test", "-c", "Release", "--no-build");
            Assert.Contains("Passed!", second.Output);
            Assert.Contains("Total: 5", second.Output.Replace("Total:     5", "Total: 5"));
        }
    }
}
