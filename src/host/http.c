/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcurl, the only place it is called: downloads of disk images. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CURL, curl_easy_cleanup)

typedef struct {
    int fd;
    int write_errno;
    AmiSha256 *sha;
    gboolean progress;
    const char *url;
    gint64 started;
    gint64 last_draw;
    gboolean drew;
} Download;

gboolean
ami_url_is_remote(const char *s)
{
    return g_str_has_prefix(s, "http://") || g_str_has_prefix(s, "https://") ||
           g_str_has_prefix(s, "file://");
}

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *data)
{
    Download *dl = data;
    size_t len = size * nmemb, done = 0;

    while (done < len) {
        ssize_t n = write(dl->fd, ptr + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            dl->write_errno = errno;
            return 0; /* makes curl fail with CURLE_WRITE_ERROR */
        }
        done += (size_t)n;
    }
    ami_sha256_update(dl->sha, ptr, len);
    return len;
}

static void
draw_progress(Download *dl, curl_off_t total, curl_off_t now)
{
    double secs = (g_get_monotonic_time() - dl->started) / 1e6;
    double rate = secs > 0 ? now / secs / 1048576.0 : 0;

    if (total > 0)
        fprintf(stderr, "\rDownloading %.60s %3d%% %7.1f/%.1f MiB %6.1f MiB/s ", dl->url,
                (int)(now * 100 / total), now / 1048576.0, total / 1048576.0, rate);
    else
        fprintf(stderr, "\rDownloading %.60s %7.1f MiB %6.1f MiB/s ", dl->url, now / 1048576.0,
                rate);
    dl->drew = TRUE;
}

static int
on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
            curl_off_t ulnow)
{
    Download *dl = data;
    gint64 t = g_get_monotonic_time();

    (void)ultotal;
    (void)ulnow;
    if (ami_signals_pending())
        return 1; /* aborts the transfer */
    if (dl->progress && (t - dl->last_draw > 200000 || (dltotal > 0 && dlnow == dltotal))) {
        dl->last_draw = t;
        draw_progress(dl, dltotal, dlnow);
    }
    return 0;
}

static gboolean
download_failed(CURL *curl, CURLcode rc, const Download *dl, const char *errbuf,
                GError **error)
{
    long status = 0;

    if (!ami_signals_check(error))
        return FALSE;
    if (rc == CURLE_WRITE_ERROR && dl->write_errno)
        return ami_error_set_errno(error, dl->write_errno, "writing the download");
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_HTTP_RETURNED_ERROR && status >= 400 && status < 500)
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "'%s': HTTP %ld", dl->url, status);
    else if (rc == CURLE_FILE_COULDNT_READ_FILE || rc == CURLE_UNSUPPORTED_PROTOCOL ||
             rc == CURLE_URL_MALFORMAT)
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "'%s': %s", dl->url,
                    *errbuf ? errbuf : curl_easy_strerror(rc));
    else
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "'%s': %s", dl->url,
                    *errbuf ? errbuf : curl_easy_strerror(rc));
    return FALSE;
}

gboolean
ami_http_download(const char *url, const char *dest, gboolean progress, char **ret_sha256,
                  GError **error)
{
    g_autoptr(CURL) curl = NULL;
    g_autoptr(AmiSha256) sha = ami_sha256_new();
    char errbuf[CURL_ERROR_SIZE] = "";
    Download dl = {.fd = -1, .progress = progress, .url = url};
    CURLcode rc;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(curl = curl_easy_init())) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "libcurl cannot be initialised");
        return FALSE;
    }
    dl.fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (dl.fd < 0)
        return ami_error_set_errno(error, errno, dest);
    dl.sha = sha;
    dl.started = g_get_monotonic_time();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ami-run/" AMI_RUN_VERSION);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &dl);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &dl);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    /* A stalled server fails after 60 s under 1 KiB/s rather than hanging CI. */
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);

    rc = curl_easy_perform(curl);
    if (dl.drew)
        fputc('\n', stderr);
    if (rc == CURLE_OK && fsync(dl.fd) < 0)
        dl.write_errno = errno, rc = CURLE_WRITE_ERROR;
    if (close(dl.fd) < 0 && rc == CURLE_OK)
        dl.write_errno = errno, rc = CURLE_WRITE_ERROR;
    if (rc != CURLE_OK) {
        unlink(dest);
        return download_failed(curl, rc, &dl, errbuf, error);
    }
    *ret_sha256 = ami_sha256_finish(g_steal_pointer(&sha));
    return TRUE;
}
