# salesync as two Windows services with NSSM (https://nssm.cc): the watcher and the portal.
# Run in an elevated PowerShell after installing salesync into C:\salesync\.venv (docs/deployment.md).
# NSSM restarts a service that exits, sends Ctrl-C on stop (the watcher finishes its current file)
# and rotates the logs. Adjust the paths and the service account below.

param(
    [string]$Nssm = "C:\tools\nssm\nssm.exe",
    [string]$InstallDir = "C:\salesync",
    [string]$Config = "C:\salesync\salesync.toml",
    [string]$Account = ".\salesync",          # a local or domain account with rights on the share
    [string]$Password = ""
)

$ErrorActionPreference = "Stop"
$salesync = Join-Path $InstallDir ".venv\Scripts\salesync.exe"
$logs = Join-Path $InstallDir "logs"
New-Item -ItemType Directory -Force -Path $logs | Out-Null

& $salesync --config $Config init

function Install-SalesyncService($Name, $Arguments, $Description) {
    & $Nssm install $Name $salesync
    & $Nssm set $Name AppParameters "--config `"$Config`" $Arguments"
    & $Nssm set $Name AppDirectory $InstallDir
    & $Nssm set $Name Description $Description
    & $Nssm set $Name Start SERVICE_AUTO_START
    & $Nssm set $Name AppStopMethodConsole 300000   # Ctrl-C, then up to 5 minutes to finish a file
    & $Nssm set $Name AppExit Default Restart
    & $Nssm set $Name AppRestartDelay 5000
    & $Nssm set $Name AppStdout (Join-Path $logs "$Name.log")
    & $Nssm set $Name AppStderr (Join-Path $logs "$Name.log")
    & $Nssm set $Name AppRotateFiles 1
    & $Nssm set $Name AppRotateBytes 10485760
    if ($Password) { & $Nssm set $Name ObjectName $Account $Password }
}

# The drive root in the config is a UNC path (\\fileserver\sales) or a local folder; a mapped drive
# letter is not visible to a service. UNC paths are polled automatically.
Install-SalesyncService "salesync-watch" "watch --json-logs" "salesync watcher (shared drive -> database)"
Install-SalesyncService "salesync-portal" "serve --host 127.0.0.1 --port 8000 --threads 8" "salesync portal (waitress)"

Start-Service salesync-watch
Start-Service salesync-portal
Get-Service salesync-*
