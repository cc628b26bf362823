// Entry point of the target process; the host is built in Hosting/.
return 0;
