// Entry point; the host is assembled in Hosting/ (work in progress on the server branch).
return 0;
