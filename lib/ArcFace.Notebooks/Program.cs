using ArcFace.Notebooks;

return await Cli.Main(args);
