using NRepl.Server.Hosting;

// The nREPL server: stdout carries only the "nREPL server started ..." banner; logs go to stderr.
return await ServerHost.RunAsync(args);
