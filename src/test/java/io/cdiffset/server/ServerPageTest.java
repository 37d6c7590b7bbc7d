package io.cdiffset.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static io.cdiffset.server.ServerTests.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The page in a real browser: Debian's headless Chromium driven through its chromedriver by Selenium (nothing is
 * downloaded: the driver is given by path, so Selenium Manager is never asked). The page uploads a shipped sample
 * to a server running the shipped default model, follows it to the end, and shows the EO that the API serves for
 * that job, pixel for pixel. Screenshots go to target/serve-page*.png.
 */
class ServerPageTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SAMPLE = Path.of("samples/sar/s1s2_046_y512_x512.png");

    @TempDir
    static Path tmp;
    static TranslationServer server;
    static WebDriver driver;
    static ChromeDriverService service;

    @BeforeAll
    static void start() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "the browser test needs Debian's headless Chromium and its driver at " + CHROMIUM + " and " + CHROMEDRIVER
                        + "; install them with: sudo apt-get install -y chromium chromium-driver");
        Path model = Path.of("models/default");
        assertTrue(Files.isDirectory(model), "the shipped default model is missing at " + model.toAbsolutePath());
        server = TranslationServer.start(ServerOptions.defaults(model, tmp.resolve("data")).withPort(0), m -> System.err.println("server: " + m));
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1100,1350",
                "--user-data-dir=" + Files.createDirectories(tmp.resolve("chromium-profile")));
        driver = new ChromeDriver(service, o);
    }

    @AfterAll
    static void stop() {
        if (driver != null) driver.quit();
        if (service != null) service.stop();
        if (server != null) server.close();
    }

    @Test
    void uploadFollowAndShowTheResult() throws Exception {
        JavascriptExecutor js = (JavascriptExecutor) driver;
        driver.get(server.url());
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
        wait.until(d -> d.findElement(By.id("model-info")).getText().startsWith("Model "));

        driver.findElement(By.id("file")).sendKeys(SAMPLE.toAbsolutePath().toString());
        WebElement steps = driver.findElement(By.id("steps"));
        steps.clear();
        steps.sendKeys("10");
        assertTrue(driver.findElement(By.id("confidence")).isSelected(), "the confidence map is on by default");
        driver.findElement(By.id("submit")).click();

        // the live progress, then the result: the EO element holds the job's image
        new WebDriverWait(driver, Duration.ofSeconds(240)).until(d -> js.executeScript(
                "const i = document.getElementById('eo-image'); return i.dataset.job && i.complete && i.naturalWidth > 0 ? i.dataset.job : null;") != null);
        String id = (String) js.executeScript("return document.getElementById('eo-image').dataset.job");
        assertEquals("100 %", driver.findElement(By.id("progress-text")).getText());
        assertEquals("100", driver.findElement(By.id("progress")).getAttribute("aria-valuenow"));
        assertTrue(driver.findElement(By.id("state-text")).getText().startsWith("done in"), driver.findElement(By.id("state-text")).getText());

        JsonNode job = json(get(server.url(), "api/v1/translations/" + id, null));
        assertEquals("done", job.get("state").asText());
        assertEquals(SAMPLE.getFileName().toString(), job.get("name").asText());
        Path apiEo = tmp.resolve("api-eo.png");
        Files.write(apiEo, getBytes(server.url(), "api/v1/translations/" + id + "/eo.png").body());
        Raster eo = Rasters.read(apiEo);
        Raster sample = Rasters.read(SAMPLE);
        assertEquals(sample.width(), eo.width());
        List<?> size = (List<?>) js.executeScript("const i = document.getElementById('eo-image'); return [i.naturalWidth, i.naturalHeight];");
        assertEquals(List.of((long) eo.width(), (long) eo.height()), size, "the page shows the EO at the API's size");
        // the pixels the browser decoded are the API's
        String b64 = (String) js.executeScript(
                "const i = document.getElementById('eo-image'); const c = document.createElement('canvas');"
                        + "c.width = i.naturalWidth; c.height = i.naturalHeight; const g = c.getContext('2d');"
                        + "g.drawImage(i, 0, 0); const d = g.getImageData(0, 0, c.width, c.height).data;"
                        + "const rgb = new Uint8Array(c.width * c.height * 3); for (let p = 0, q = 0; p < d.length; p += 4) {"
                        + "rgb[q++] = d[p]; rgb[q++] = d[p + 1]; rgb[q++] = d[p + 2]; }"
                        + "let s = ''; for (let k = 0; k < rgb.length; k += 8192) s += String.fromCharCode.apply(null, rgb.subarray(k, k + 8192));"
                        + "return btoa(s);");
        byte[] shown = Base64.getDecoder().decode(b64);
        int n = eo.planeSize(), mismatches = 0;
        for (int p = 0; p < n; p++) {
            for (int c = 0; c < 3; c++) if ((shown[3 * p + c] & 0xFF) != Math.round(eo.data()[c * n + p])) mismatches++;
        }
        assertEquals(0, mismatches, "pixels of the shown EO that differ from the API's eo.png");
        for (String img : List.of("sar-image", "conf-overlay", "thumb-conf")) {
            assertEquals(Boolean.TRUE, js.executeScript("const i = document.getElementById(arguments[0]); return i.complete && i.naturalWidth == "
                    + eo.width() + ";", img), img + " is shown");
        }
        assertTrue(driver.findElement(By.id("downloads")).getText().contains("EO (PNG)"));
        assertTrue(driver.findElement(By.id("recent")).getText().contains(SAMPLE.getFileName().toString()));

        // the swipe and the overlay controls act on the viewer
        js.executeScript("const s = document.getElementById('swipe'); s.value = 30; s.dispatchEvent(new Event('input'));"
                + "const o = document.getElementById('opacity'); o.value = 40; o.dispatchEvent(new Event('input'));");
        assertEquals("inset(0px 0px 0px 30%)", js.executeScript("return getComputedStyle(document.getElementById('eo-image')).clipPath"));
        assertEquals("0.4", js.executeScript("return getComputedStyle(document.getElementById('conf-overlay')).opacity"));
        js.executeScript("const o = document.getElementById('opacity'); o.value = 0; o.dispatchEvent(new Event('input'));"
                + "const s = document.getElementById('swipe'); s.value = 50; s.dispatchEvent(new Event('input'));");
        screenshot("target/serve-page.png");

        // a phone-sized screen: nothing wider than the screen
        driver.manage().window().setSize(new Dimension(390, 1400));
        assertEquals(Boolean.TRUE, js.executeScript("return document.documentElement.scrollWidth <= window.innerWidth;"), "no sideways scrolling on a phone");
        screenshot("target/serve-page-phone.png");
        driver.manage().window().setSize(new Dimension(1100, 1350));

        // a file that is not an image: a readable message
        Path text = Files.writeString(tmp.resolve("notes.png"), "not an image");
        driver.findElement(By.id("file")).sendKeys(text.toAbsolutePath().toString());
        driver.findElement(By.id("submit")).click();
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> d.findElement(By.id("error")).isDisplayed());
        assertTrue(driver.findElement(By.id("error")).getText().contains("not a PNG, JPEG or TIFF image"), driver.findElement(By.id("error")).getText());
    }

    private static void screenshot(String to) throws Exception {
        File f = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.createDirectories(Path.of(to).getParent());
        Files.copy(f.toPath(), Path.of(to), StandardCopyOption.REPLACE_EXISTING);
    }
}
