return Cortado.Cli.CommandLine.Run(args, Console.Out, Console.Error);
