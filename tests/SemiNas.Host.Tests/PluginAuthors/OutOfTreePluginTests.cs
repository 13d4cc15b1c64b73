using System.Diagnostics;
using SemiNas.Host.Tests.Cli;

namespace SemiNas.Host.Tests.PluginAuthors;

/// <summary>An author outside the repository: the packed contracts and the documented project file are all they need.</summary>
public class OutOfTreePluginTests
{
    private static string ProjectFile => Path.Combine(Repository.Root, "samples", "OutOfTree", "MyPlugin.csproj");

    [Fact]
    public void The_project_file_in_the_docs_is_the_one_that_is_tested()
    {
        var docs = File.ReadAllText(Path.Combine(Repository.Root, "docs", "plugins.md")).ReplaceLineEndings("\n");
        Assert.Contains(File.ReadAllText(ProjectFile).ReplaceLineEndings("\n").Trim(), docs);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task The_sample_builds_outside_the_repository_from_the_packed_contracts_and_loads()
    {
        using var folder = new TempFolder();
        // A version of its own, so the NuGet cache never serves a package packed from older sources.
        var version = $"2.1.0-test{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        var feed = Path.Combine(folder.Path, "feed");
        await Dotnet(folder.Path, "pack", Path.Combine(Repository.Root, "src", "Contracts", "SemiNas.Contracts.csproj"),
            "-c", "Release", "-o", feed, "-p:PackageVersion=" + version, "-nologo");

        var project = Directory.CreateDirectory(Path.Combine(folder.Path, "OneMax")).FullName;
        foreach (var source in Directory.GetFiles(Path.Combine(Repository.Root, "samples", "MinimalPlugin"), "*.cs"))
            File.Copy(source, Path.Combine(project, Path.GetFileName(source)));
        File.WriteAllText(Path.Combine(project, "OneMax.csproj"),
            File.ReadAllText(ProjectFile).Replace("Include=\"SemiNas.Contracts\" Version=\"2.1.0\"", $"Include=\"SemiNas.Contracts\" Version=\"{version}\""));
        await Dotnet(project, "build", "-c", "Release", "-nologo", "-p:RestoreAdditionalProjectSources=" + feed);

        var output = Path.Combine(project, "bin", "Release", "net10.0");
        Assert.True(File.Exists(Path.Combine(output, "OneMax.dll")));
        Assert.False(File.Exists(Path.Combine(output, "SemiNas.Contracts.dll")), "the plugin carries its own copy of the contracts");
        var (exitCode, stdout, error) = await SeminasProcess.RunAsync(folder.Path, "plugins", "--plugins", output);
        Assert.True(exitCode == 0, error);
        Assert.Contains("onemax 1.0.0.0", stdout);
    }

    private static async Task Dotnet(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // The test host's MSBuild variables would leak into the child build; it must see a plain environment.
        foreach (var name in new[] { "MSBuildSDKsPath", "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "DOTNET_HOST_PATH" }) start.Environment.Remove(name);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed:\n{await stdout}\n{await stderr}");
    }
}
