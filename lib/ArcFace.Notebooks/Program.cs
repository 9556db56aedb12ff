using ArcFace.Notebooks;

return await Cli.RunAsync(args);
